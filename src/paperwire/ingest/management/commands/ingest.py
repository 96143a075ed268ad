"""`paperwire ingest arxiv …` harvests arXiv; `paperwire ingest status` shows checkpoints."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from paperwire.ingest.categories import parse_categories
from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import Checkpoint, ScheduledRun
from paperwire.ingest.options import SOURCES
from paperwire.ingest.pipeline import IngestRequest, IngestStats, run_ingest
from paperwire.papers.dbtools import explain
from paperwire.papers.models import Paper
from paperwire.progresslines import lines_to


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-01-31") from None


class Command(BaseCommand):
    # Harvesting needs the database, not the URL/template checks of the web site.
    requires_system_checks: list[str] = []
    help = (
        "Harvest papers from arXiv (`ingest arxiv`) or show harvest checkpoints (`ingest status`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{arxiv,status}")
        arxiv = sub.add_parser("arxiv", help="harvest papers of some categories from arXiv")
        arxiv.add_argument(
            "--source",
            choices=SOURCES,
            default="oai",
            help="oai (OAI-PMH, default), api (the Atom API) or rss (today's feeds)",
        )
        arxiv.add_argument(
            "--categories",
            default=None,
            help="comma-separated, e.g. cs.CL,cs.LG (default: $PAPERWIRE_INGEST_CATEGORIES)",
        )
        arxiv.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (api, oai)")
        arxiv.add_argument("--until", type=_date, help="last day, YYYY-MM-DD (default today)")
        arxiv.add_argument("--base-url", help="the service's URL (default from settings)")
        arxiv.add_argument("--metadata-prefix", default="arXivRaw", choices=["arXivRaw", "arXiv"])
        arxiv.add_argument("--page-size", type=int, default=200, help="API results per request")
        arxiv.add_argument(
            "--delay",
            type=float,
            default=None,
            help="seconds between requests (never under 3 for arxiv.org)",
        )
        arxiv.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
        arxiv.add_argument("--retries", type=int, default=4)
        arxiv.add_argument(
            "--restart",
            action="store_true",
            help="ignore saved checkpoints and harvest the span again",
        )
        sub.add_parser("status", help="show checkpoints, scheduled runs and paper counts")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "status":
                self.status()
            else:
                self.arxiv(options)
        except IngestError as exc:
            raise CommandError(f"{exc} (stored progress is kept; run again to resume)") from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; progress is saved, run again to resume") from None
        except DatabaseError as exc:
            # One line naming the database and what to do (a missing schema: migrate).
            raise CommandError(explain(exc)) from None

    def arxiv(self, options: dict[str, Any]) -> None:
        cats = options["categories"] or ",".join(
            getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", [])
        )
        try:
            req = IngestRequest(
                source=options["source"],
                categories=parse_categories(cats),
                since=options["since"],
                until=options["until"],
                base_url=(options["base_url"] or "").strip() or None,
                prefix=options["metadata_prefix"],
                page_size=options["page_size"],
                restart=options["restart"],
            )
            req.check(dt.datetime.now(dt.UTC).date())
        except IngestError as exc:
            raise CommandError(str(exc)) from None  # bad arguments: nothing was started
        delay = options["delay"]
        if delay is None:
            delay = float(getattr(settings, "PAPERWIRE_ARXIV_DELAY", 3.0))
        if options["timeout"] <= 0 or options["retries"] < 0 or delay < 0:
            raise CommandError("--timeout must be positive; --retries and --delay not negative")
        console = Console(stderr=True)
        with PoliteClient(
            delay=delay, timeout=options["timeout"], retries=options["retries"]
        ) as client:
            if console.is_terminal:
                stats = self.harvest_with_bars(req, client, console)
            else:
                stats = self.harvest_logged(req, client)
        self.stdout.write(f"ingest {req.source}: {stats.summary()}")
        if stats.skipped_scopes:
            self.stdout.write(
                f"{stats.skipped_scopes} span(s) were already complete (--restart harvests again)"
            )

    def harvest_with_bars(
        self, req: IngestRequest, client: PoliteClient, console: Console
    ) -> IngestStats:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            tasks: dict[str, Any] = {}

            def progress(scope: str, done: int, total: int | None) -> None:
                if scope not in tasks:
                    tasks[scope] = bar.add_task(scope, total=total)
                bar.update(tasks[scope], completed=done, total=total or done or None)

            return run_ingest(req, client, progress=progress)

    def harvest_logged(self, req: IngestRequest, client: PoliteClient) -> IngestStats:
        """Off a terminal (a log, cron): plain lines with the real elapsed time on stderr,
        where the bars would be, instead of rich's last frame reading 0:00:00."""
        lines = lines_to(self.stderr)
        stats = run_ingest(req, client, progress=lines.update)
        lines.finish()
        return stats

    def status(self) -> None:
        total = Paper.objects.count()
        arxiv = Paper.objects.exclude(arxiv_id=None).count()
        latest = Paper.objects.exclude(arxiv_id=None).order_by("-published_at").first()
        self.stdout.write(f"papers: {total} ({arxiv} from arXiv)")
        if latest and latest.published_at:
            self.stdout.write(
                f"newest arXiv paper: {latest.arxiv_id} ({latest.published_at:%Y-%m-%d})"
            )
        checkpoints = list(Checkpoint.objects.all())
        if not checkpoints:
            self.stdout.write("no harvests yet")
        for cp in checkpoints:
            state = "complete" if cp.done else "in progress"
            total_txt = f"/{cp.total}" if cp.total else ""
            self.stdout.write(
                f"{cp.scope}: {state}, {cp.pages} pages, {cp.records}{total_txt} records, "
                f"updated {cp.updated:%Y-%m-%d %H:%M:%S}"
            )
            if cp.last_error:
                self.stdout.write(f"  last error: {cp.last_error}")
        for run in ScheduledRun.objects.order_by("name"):
            self.stdout.write(
                f"scheduled {run.name}: last day {run.last_date or 'never'}, "
                f"status {run.status or '-'}{': ' + run.message if run.message else ''}"
            )
