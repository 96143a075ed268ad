"""The processes `paperwire serve` and `paperwire web` run, and how they end together.

Children are started with the kernel's parent-death signal (Linux PR_SET_PDEATHSIG): if
the supervising process dies, however it dies (`kill -9` included), each child gets
SIGTERM and stops, instead of serving on beside a new `serve`. SIGTERM and SIGINT to the
supervisor are passed on to every child; a child that outlives its stop timeout is killed.

The supervisor is also the children's subreaper (PR_SET_CHILD_SUBREAPER): when the web
server's main process dies without stopping its worker processes (`kill -9` of granian),
the kernel hands those workers to the supervisor instead of to init, and the supervisor
stops them with everything else. Otherwise they would serve on as orphans, holding the
port, and a new `serve` would refuse to start beside them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

# Seconds a stopping server gives its workers before killing them.
STOP_TIMEOUT = 20
# Seconds past that before the supervisor kills a server that is still up itself.
KILL_MARGIN = 10
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


class PortInUse(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse when something already listens on host:port. (The server binds
    with SO_REUSEPORT, which would let a second server listen beside the first.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port whose last connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use (another paperwire serve?): "
                    f"stop that server, or choose another port with --port or PORT="
                ) from None
            raise


def _libc() -> Any:
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    return ctypes.CDLL(name, use_errno=True) if name else None


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn: this child gets SIGTERM when its parent dies (Linux)."""
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None

    def arm() -> None:
        if libc_name is None:
            return
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return arm


class Supervisor:
    """Starts children that end with this process, and waits for the first of them."""

    def __init__(
        self, stop_timeout: float = STOP_TIMEOUT, kill_margin: float = KILL_MARGIN
    ) -> None:
        self.children: list[subprocess.Popen[Any]] = []
        self.stop_timeout = stop_timeout
        self.kill_margin = kill_margin
        self.stopping: list[float] = []
        # Installed before any child starts: a SIGTERM from now on stops them all.
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        libc = _libc()
        # Orphaned grandchildren (a dead granian's workers) become ours to stop.
        self.subreaper = bool(libc) and libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0

    def start(self, argv: list[str], **popen: Any) -> subprocess.Popen[Any]:
        child: subprocess.Popen[Any] = subprocess.Popen(  # our interpreter, our modules
            argv, preexec_fn=_die_with_parent(os.getpid()), **popen
        )
        self.children.append(child)
        if self.stopping:
            child.send_signal(signal.SIGTERM)
        return child

    def _forward(self, signum: int, _frame: object) -> None:
        self.stopping.append(time.monotonic())
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signum)

    def wait(self) -> int:
        """Wait for the first child (the web server); stop the others when it ends.
        Returns its exit status."""
        main = self.children[0]
        while True:
            try:
                code = main.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                for pid in self._adopted():  # an orphan that ended is not left a zombie
                    _reaped(pid)
                if self.stopping:
                    # granian forks a worker with the main process's signal handler, which
                    # a SIGTERM before the worker sets its own only notes in the worker's
                    # copy: such a worker would wait out the kill timeout. Tell it again.
                    for pid in _children_of(main.pid):
                        _signal(pid, signal.SIGTERM)
                # Asked to stop and the server is still up well past its own kill timeout.
                waited = time.monotonic() - self.stopping[0] if self.stopping else 0.0
                if self.stopping and waited > self.stop_timeout + self.kill_margin:
                    main.kill()
        for child in self.children[1:]:
            if child.poll() is None:
                child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self._stop_adopted()
        return code

    def _adopted(self) -> list[int]:
        """Processes the kernel handed to us when their parent died (we are a subreaper):
        neither started by us nor reaped yet."""
        if not self.subreaper:
            return []
        ours = {child.pid for child in self.children}
        return [pid for pid in _children_of(os.getpid()) if pid not in ours]

    def _stop_adopted(self) -> None:
        """SIGTERM to every adopted process, SIGKILL to those still up after the stop
        timeout; each is reaped."""
        adopted = self._adopted()
        for pid in adopted:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while adopted:
            adopted = [pid for pid in adopted if not _reaped(pid)]
            if adopted and time.monotonic() > deadline:
                for pid in adopted:
                    _signal(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)


def _children_of(parent: int) -> list[int]:
    """The live processes whose parent is `parent` (from /proc; empty elsewhere)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reaped(pid: int) -> bool:
    """Reap `pid` if it has ended; True when it is gone."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid
