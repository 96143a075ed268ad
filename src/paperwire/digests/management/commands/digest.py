"""`paperwire digest send [--dry-run]`: compose the period's digests and deliver them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from paperwire.digests.compose import PeriodPapers, compose
from paperwire.digests.models import Subscription
from paperwire.digests.outbox import RunSummary, compose_period, send_due
from paperwire.digests.periods import default_period, parse_period_key, period_key
from paperwire.papers.feed import FeedPeriod, InvalidPeriod


class Command(BaseCommand):
    help = (
        "Digests by e-mail. `digest send` composes one digest per active subscriber for "
        "the period (daily: the latest feed day; weekly: last ISO week) into the outbox "
        "and sends what is due, retrying failures with backoff. Running it twice sends "
        "nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="send")
        send = sub.add_parser("send", help="compose and send due digests")
        send.add_argument(
            "--frequency",
            choices=["daily", "weekly", "all"],
            default="all",
            help="which subscribers (default: all)",
        )
        send.add_argument(
            "--period",
            help="a period key instead of the default: daily:2026-01-05 or weekly:2026-W02",
        )
        send.add_argument(
            "--dry-run",
            action="store_true",
            help="compose and report, but write nothing and send nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        periods = self._periods(options["frequency"], options.get("period"))
        if options["dry_run"]:
            self._dry_run(periods)
            return
        summary = RunSummary()
        console = Console(stderr=True)
        with Progress(console=console, disable=not console.is_terminal, transient=True) as bar:
            for frequency, period in periods:
                total = Subscription.objects.filter(
                    status=Subscription.ACTIVE, frequency=frequency
                ).count()
                task = bar.add_task(f"composing {period_key(frequency, period)}", total=total)
                compose_period(
                    frequency,
                    period,
                    summary=summary,
                    progress=lambda n, task=task: bar.advance(task, n),  # type: ignore[misc]
                )
            sending = bar.add_task("sending", total=None)
            send_due(summary=summary, progress=lambda n: bar.advance(sending, n))
        for error in summary.errors[:20]:
            self.stderr.write(error)
        self.stdout.write(str(summary))

    def _periods(self, frequency: str, key: str | None) -> list[tuple[str, FeedPeriod]]:
        if key:
            try:
                period = parse_period_key(key)
            except InvalidPeriod as exc:
                raise CommandError(str(exc)) from None
            return [(key.partition(":")[0], period)]
        today = timezone.now().date()
        chosen = ["daily", "weekly"] if frequency == "all" else [frequency]
        found = [(f, default_period(f, today)) for f in chosen]
        return [(f, p) for f, p in found if p is not None]

    def _dry_run(self, periods: list[tuple[str, FeedPeriod]]) -> None:
        for frequency, period in periods:
            papers = PeriodPapers(period)
            subs = Subscription.objects.filter(status=Subscription.ACTIVE, frequency=frequency)
            would = sum(1 for s in subs if compose(s, papers) is not None)
            self.stdout.write(
                f"{period_key(frequency, period)}: {would} of {subs.count()} subscriber(s) "
                f"would get a digest ({len(papers.trending)} trending paper(s))"
            )
