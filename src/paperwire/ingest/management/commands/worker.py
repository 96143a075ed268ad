"""`paperwire worker`: run scheduled jobs (the daily arXiv ingest, …) until stopped."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from paperwire.papers.management.commands.serve import (
    guessed_site_url,
    what_the_worker_does,
    where_mail_goes,
)
from paperwire.papers.secretkey import check_secret_key


class Command(BaseCommand):
    # Harvesting needs the database, not the URL/template checks of the web site.
    requires_system_checks: list[str] = []
    help = (
        "Run scheduled jobs: polls the schedule of paperwire.jobs and runs what is due. "
        "Any number of workers may run; each job runs once per day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument("--poll", type=float, default=60.0, help="seconds between polls")
        # `paperwire serve` starts its worker so: serve has said where mail goes and what
        # the worker does, and the worker's lines share serve's console.
        parser.add_argument("--beside-serve", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        # The schedule sits above every app (it composes them), so it is named by a
        # setting, like ROOT_URLCONF, rather than imported by this lower layer.
        run_worker = import_string(
            getattr(settings, "PAPERWIRE_WORKER", "paperwire.jobs.run_worker")
        )
        # Digest links it signs must open on the web processes: the site's key, or none.
        check_secret_key()
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())

        def say(line: str) -> None:
            self.stdout.write(f"worker: {line}" if options["beside_serve"] else line)
            self.stdout.flush()

        if not options["once"] and not options["beside_serve"]:
            self.stdout.write(f"worker polling every {options['poll']:g} s (Ctrl-C stops)")
            self.stdout.write(where_mail_goes(str(settings.SITE_URL)))
            self.stdout.write(what_the_worker_does())
        if guess := guessed_site_url():
            self.stderr.write(guess)
        run_worker(once=options["once"], poll=options["poll"], stop=stop, say=say)
