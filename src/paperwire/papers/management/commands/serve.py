"""`paperwire serve`: migrate, load the demo into an empty database, and serve the site."""

from __future__ import annotations

import fcntl
import filecmp
import os
import socket
import sys
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

from paperwire.mail.files import mail_dir
from paperwire.papers.secretkey import check_secret_key
from paperwire.papers.supervisor import STOP_TIMEOUT, PortInUse, Supervisor, check_port_free


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
        free_or_fail(options["host"], port)
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            if not options["no_demo"]:
                call_command("load_demo", verbosity=0)
            collect_static()
            # Pages rendered by an older release of the templates must not outlive it.
            cache.clear()
        check_secret_key()  # a process with another key would log members out
        url = f"http://{options['host']}:{port}/"
        site_url = settle_site_url(options["host"], port)
        self.stdout.write(f"paperwire serving {url} (data in {settings.DATA_DIR})")
        self.stdout.write(where_mail_goes(site_url))
        if not options["no_worker"]:
            self.stdout.write(what_the_worker_does())
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
        supervisor = Supervisor()
        supervisor.start(granian_argv(options["host"], port, options))
        if not options["no_worker"]:
            # Its start-up lines are the ones above; what it does later (papers embedded,
            # a harvest's summary, mail retried) goes to this console, as "worker: …".
            worker = [sys.executable, "-m", "paperwire.cli", "worker", "--beside-serve"]
            supervisor.start(worker)
        sys.exit(supervisor.wait())


def settle_site_url(host: str, port: int) -> str:
    """The address links in mails and feeds use: PAPERWIRE_SITE_URL when set, else the
    http://HOST:PORT this server listens on, handed on to its worker and web processes
    and noted in the data directory for commands run beside it (`digest send`)."""
    if os.environ.get("PAPERWIRE_SITE_URL"):
        return str(settings.SITE_URL)
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - naming the address, not binding it
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{port}"
    os.environ["PAPERWIRE_SITE_URL"] = url
    settings.SITE_URL = url
    note = Path(settings.DATA_DIR) / "site_url"
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        partial = note.with_name(f".site_url.{os.getpid()}")
        partial.write_text(url + "\n")
        partial.replace(note)
    except OSError as exc:  # a read-only data directory: links from this process still work
        print(f"note: could not write {note}: {exc.strerror}", file=sys.stderr)
    return url


def guessed_site_url() -> str | None:
    """For a process that serves no page (the worker): a warning when the links it mails
    use an address nobody chose (no PAPERWIRE_SITE_URL, and no `serve` or `web` noted one
    in this data directory), which is 127.0.0.1 and $PORT, wrong on any other machine."""
    if os.environ.get("PAPERWIRE_SITE_URL") or (Path(settings.DATA_DIR) / "site_url").is_file():
        return None
    return (
        f"note: links in mails use {settings.SITE_URL}, a guess: PAPERWIRE_SITE_URL is not "
        "set and no `paperwire serve` or `web` ran with this data directory; set "
        "PAPERWIRE_SITE_URL to the site's public address"
    )


def where_mail_goes(site_url: str) -> str:
    """One line for the console: where mail goes, and how to change that."""
    if settings.EMAIL_BACKEND == "paperwire.mail.files.EmlFileBackend":
        return (
            f"mail: no SMTP server is set, so each mail is written as an .eml file to "
            f"{mail_dir()} and named in this log (links use {site_url}); set "
            "PAPERWIRE_EMAIL_HOST and PAPERWIRE_EMAIL_PORT to send by SMTP"
        )
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return (
            f"mail: by SMTP through {settings.EMAIL_HOST}:{settings.EMAIL_PORT} "
            f"(links use {site_url})"
        )
    return f"mail: through {settings.EMAIL_BACKEND} (links use {site_url})"


def what_the_worker_does() -> str:
    """One line for the console: the background worker's jobs, and how to turn on the
    one that is off until configured (the daily arXiv ingest)."""
    ingest_hour = int(getattr(settings, "PAPERWIRE_INGEST_HOUR", 6))
    digest_hour = int(getattr(settings, "PAPERWIRE_DIGEST_HOUR", 7))
    categories = list(getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", []))
    ingest = (
        f"harvests arXiv ({', '.join(categories)}) daily after {ingest_hour:02d}:00 UTC"
        if categories
        else "harvests no arXiv papers until PAPERWIRE_INGEST_CATEGORIES is set "
        "(e.g. cs.CL,cs.LG; docs/ingest.md)"
    )
    return (
        f"worker: {ingest}, sends digests daily after {digest_hour:02d}:00 UTC, embeds new "
        "papers for semantic search and retries mail; what it does is written here"
    )


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


def free_or_fail(host: str, port: int) -> None:
    try:
        check_port_free(host, port)
    except PortInUse as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


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
