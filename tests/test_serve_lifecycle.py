"""`paperwire serve` as an operator meets it: what it says at start (its address, where
mail goes), that its processes end with it however it dies, and that a second one on a
port in use refuses to start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support import bin_path, cli_env, free_port

pytestmark = pytest.mark.slow


def _start(data_dir: Path, port: int, *args: str, **env: str) -> subprocess.Popen[bytes]:
    log = (data_dir / "serve.log").open("wb")
    return subprocess.Popen(
        [bin_path("paperwire"), "serve", "--port", str(port), *args],
        env=cli_env(data_dir, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(what: str, check: Callable[[], bool], log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {seconds:g}s:\n{log.read_text()}")
        time.sleep(0.2)


def test_kill_9_of_serve_ends_its_server_and_worker(tmp_path: Path) -> None:
    port = free_port()
    # Digests are due at once, so the worker has something to say on its first poll.
    serve = _start(tmp_path, port, PAPERWIRE_DIGEST_HOUR="0")
    log = tmp_path / "serve.log"
    try:
        _wait("serving", lambda: _listening(port), log)
        # What the worker does, and that its ingest waits for categories; then what it
        # did, in the same console.
        _wait("the worker's first line", lambda: "worker: send-digests:" in log.read_text(), log)
        text = log.read_text()
        assert (
            "worker: harvests no arXiv papers until PAPERWIRE_INGEST_CATEGORIES is set "
            "(e.g. cs.CL,cs.LG; docs/ingest.md), sends digests daily after 00:00 UTC, embeds "
            "new papers for semantic search and retries mail"
        ) in text
        assert "worker polling every" not in text, "serve said where mail goes, once"
        assert text.count("mail: no SMTP server is set") == 1
        # It says where it serves, where mail goes, and how to send by SMTP instead.
        assert f"paperwire serving http://127.0.0.1:{port}/" in text
        assert f"each mail is written as an .eml file to {tmp_path / 'mail'}" in text
        assert (
            f"links use http://127.0.0.1:{port})" in text
            or f"links use http://127.0.0.1:{port}" in text
        )
        assert "PAPERWIRE_EMAIL_HOST" in text

        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=10)
        # Its children (granian, granian's workers, the job worker) were in its process
        # group; the kernel's parent-death signal stops each of them.
        _wait("the children to end", lambda: not _group_alive(serve.pid), log, seconds=90)
        assert not _listening(port)
    finally:
        if _group_alive(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, NotADirectoryError):
            continue
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_kill_9_of_granian_ends_its_workers_and_serve(tmp_path: Path) -> None:
    """The web server's main process killed with SIGKILL: its worker processes, which
    the kernel hands to `serve` (a child subreaper), are stopped with everything else,
    instead of serving on the port as orphans that a new `serve` cannot replace."""
    port = free_port()
    serve = _start(tmp_path, port, "--no-worker")
    log = tmp_path / "serve.log"
    try:
        _wait("serving", lambda: _listening(port), log)
        granian = next(p for p in _children(serve.pid) if "granian" in _cmdline(p))
        _wait("granian's workers", lambda: len(_children(granian)) == 2, log)
        os.kill(granian, signal.SIGKILL)
        serve.wait(timeout=60)
        _wait("every process of serve to end", lambda: not _group_alive(serve.pid), log, 60)
        assert not _listening(port)
    finally:
        if _group_alive(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)


def test_a_second_serve_on_a_port_in_use_refuses_to_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [bin_path("paperwire"), "serve", "--port", str(port), "--no-migrate"],
            env=cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_with_smtp_set_it_says_so_and_links_use_its_port(tmp_path: Path) -> None:
    port = free_port()
    serve = _start(tmp_path, port, "--no-worker", PAPERWIRE_EMAIL_HOST="127.0.0.1",
                   PAPERWIRE_EMAIL_PORT="2525")  # fmt: skip
    log = tmp_path / "serve.log"
    try:
        _wait("serving", lambda: _listening(port), log)
        text = log.read_text()
        assert f"mail: by SMTP through 127.0.0.1:2525 (links use http://127.0.0.1:{port})" in text
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
