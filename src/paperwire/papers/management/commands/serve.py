"""`paperwire serve`: migrate, load the demo into an empty database, and serve the site."""

from __future__ import annotations

import fcntl
import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as CollectStatic,
)
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from whitenoise.storage import CompressedManifestStaticFilesStorage


def add_server_arguments(parser: CommandParser) -> None:
    """Where and how wide the web server runs: shared by `serve` and `web`."""
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("PAPERWIRE_WEB_WORKERS", "2")),
        help="web worker processes (default 2, or $PAPERWIRE_WEB_WORKERS)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")


class Command(BaseCommand):
    help = (
        "Run the site with a production server (granian, several worker processes): "
        "migrates the database, loads the demo papers into an empty one, collects static "
        "files, then serves on http://HOST:PORT (PORT from --port or the PORT variable), "
        "with the background worker (`paperwire worker`) beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)
        parser.add_argument("--no-demo", action="store_true", help="never load the demo papers")
        parser.add_argument(
            "--no-migrate", action="store_true", help="skip migrate and collectstatic"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (scheduled ingest, digests)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = port_from_env() if options["port"] is None else checked_port(options["port"])
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            if not options["no_demo"]:
                call_command("load_demo", verbosity=0)
            collect_static()
            # Pages rendered by an older release of the templates must not outlive it.
            cache.clear()
        url = f"http://{options['host']}:{port}/"
        self.stdout.write(f"paperwire serving {url} (data in {settings.DATA_DIR})")
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
        children = [subprocess.Popen(granian_argv(options["host"], port, options))]
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "paperwire.cli", "worker"]
            children.append(subprocess.Popen(worker, stdout=subprocess.DEVNULL))
        sys.exit(supervise(children))


# Seconds a stopping server gives its workers before killing them.
STOP_TIMEOUT = 20


def granian_argv(host: str, port: int, options: dict[str, Any]) -> list[str]:
    """The production server's command line (granian, WSGI, several processes)."""
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(max(1, options["workers"])),
        "--blocking-threads", str(max(1, options["threads"])),
        "--respawn-failed-workers",
        # A worker that does not stop gracefully (a request stuck in the database) is
        # killed after this long; granian's default is to wait for it for ever.
        "--workers-kill-timeout", str(STOP_TIMEOUT),
        "--no-access-log",
        "--log-level", "warning",
        "paperwire.wsgi:application",
    ]  # fmt: skip


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait for the web server; pass SIGTERM/SIGINT on to every child; stop the worker
    when the web server ends. Returns the web server's exit status."""

    stopping: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        stopping.append(time.monotonic())
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        try:
            code = children[0].wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            # Asked to stop and the server is still up well past its own kill timeout.
            if stopping and time.monotonic() - stopping[0] > STOP_TIMEOUT + 10:
                children[0].kill()
    for child in children[1:]:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def collect_static() -> None:
    """Collect with hashed, compressed names whatever the current storage setting is,
    so the web workers (whose settings see the manifest) serve them cached forever.

    Several `paperwire web` processes on one machine share the directory: one collects
    while the others wait for it (a file lock), instead of writing the same files at once."""
    root = Path(settings.STATIC_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _static_is_current():
            return
        collect = CollectStatic()
        collect.storage = CompressedManifestStaticFilesStorage()
        call_command(collect, interactive=False, verbosity=0)


def _static_is_current() -> bool:
    """True when STATIC_ROOT has a manifest and an identical copy of every source file:
    collecting again would write the same files, and hashing and compressing them all
    takes about a second of every start."""
    root = Path(settings.STATIC_ROOT)
    if not (root / "staticfiles.json").is_file():
        return False
    ignore = apps.get_app_config("staticfiles").ignore_patterns  # type: ignore[attr-defined]
    for finder in get_finders():
        for path, storage in finder.list(ignore):
            copy = root / path
            if not copy.is_file() or not filecmp.cmp(storage.path(path), copy, shallow=False):
                return False
    return True


def port_from_env() -> int:
    raw = os.environ.get("PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        raise CommandError(f"PORT={raw!r} is not a number: set PORT to e.g. 8000") from None
    if not 0 < port < 65536:
        raise CommandError(f"PORT={port} is out of range: use 1-65535")
    return port


def checked_port(port: int) -> int:
    if not 0 < port < 65536:
        raise CommandError(f"--port {port} is out of range: use 1-65535")
    return port
