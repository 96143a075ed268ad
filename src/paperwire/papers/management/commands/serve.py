"""`paperwire serve`: migrate, load the demo into an empty database, and serve the site."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as CollectStatic,
)
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from whitenoise.storage import CompressedManifestStaticFilesStorage


class Command(BaseCommand):
    help = (
        "Run the site with a production server (granian, several worker processes): "
        "migrates the database, loads the demo papers into an empty one, collects static "
        "files, then serves on http://HOST:PORT (PORT from --port or the PORT variable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("PAPERWIRE_WEB_WORKERS", "2")),
            help="web worker processes (default 2, or $PAPERWIRE_WEB_WORKERS)",
        )
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument("--no-demo", action="store_true", help="never load the demo papers")
        parser.add_argument(
            "--no-migrate", action="store_true", help="skip migrate and collectstatic"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"] or _port_from_env()
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
        argv = [
            sys.executable, "-m", "granian",
            "--interface", "wsgi",
            "--host", options["host"],
            "--port", str(port),
            "--workers", str(max(1, options["workers"])),
            "--blocking-threads", str(max(1, options["threads"])),
            "--respawn-failed-workers",
            "--no-access-log",
            "--log-level", "warning",
            "paperwire.wsgi:application",
        ]  # fmt: skip
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
        # Replace this process, so signals (Ctrl-C, SIGTERM) reach the server directly.
        os.execv(sys.executable, argv)  # noqa: S606 - argv is built here, not from input


def collect_static() -> None:
    """Collect with hashed, compressed names whatever the current storage setting is,
    so the web workers (whose settings see the manifest) serve them cached forever."""
    collect = CollectStatic()
    collect.storage = CompressedManifestStaticFilesStorage()
    call_command(collect, interactive=False, verbosity=0)


def _port_from_env() -> int:
    raw = os.environ.get("PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        raise CommandError(f"PORT={raw!r} is not a number: set PORT to e.g. 8000") from None
    if not 0 < port < 65536:
        raise CommandError(f"PORT={port} is out of range: use 1-65535")
    return port
