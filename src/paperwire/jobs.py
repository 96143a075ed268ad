"""Background jobs and their schedule. `paperwire worker` runs whatever is due.

A daily job runs once per day (UTC) at or after its hour. Any number of workers may
run: each claims a day with one conditional UPDATE, which only one of them wins.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from paperwire.digests.outbox import RunSummary, compose_period, send_due
from paperwire.digests.periods import default_period
from paperwire.ingest.categories import parse_categories
from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import ScheduledRun
from paperwire.ingest.pipeline import IngestRequest, run_ingest
from paperwire.search.embeddings import EmbeddingUnavailable
from paperwire.search.vectors import embed_missing

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = dt.timedelta(minutes=30)
# Papers embedded per worker poll: about half a minute of CPU on two cores.
EMBED_PER_POLL = 512


@dataclass(frozen=True)
class DailyJob:
    name: str
    hour: int
    run: Callable[[], str]


def ingest_arxiv_daily() -> str:
    """The last few days of the configured categories: new papers enter today's feed,
    replaced ones are updated. Overlapping days are harmless (the upsert is idempotent)."""
    cats = list(getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", []))
    if not cats:
        return "no categories configured (set PAPERWIRE_INGEST_CATEGORIES); nothing to do"
    today = timezone.now().date()
    lookback = int(getattr(settings, "PAPERWIRE_INGEST_LOOKBACK_DAYS", 3))
    source = str(getattr(settings, "PAPERWIRE_INGEST_SOURCE", "oai"))
    req = IngestRequest(
        source=source,
        categories=parse_categories(",".join(cats)),
        since=None if source == "rss" else today - dt.timedelta(days=lookback),
        until=today,
    )
    with PoliteClient(delay=float(getattr(settings, "PAPERWIRE_ARXIV_DELAY", 3.0))) as client:
        stats = run_ingest(req, client)
    message = stats.summary()
    if (stats.store.created or stats.store.updated) and getattr(
        settings, "PAPERWIRE_EMBED_AFTER_INGEST", True
    ):
        message += "; " + embed_new_papers()
    return message


def embed_new_papers() -> str:
    """Queue the new and changed papers for search: embed whatever lacks a current vector."""
    try:
        done = embed_missing()
    except EmbeddingUnavailable as exc:
        return f"embeddings skipped ({exc}); run `paperwire embed` later"
    return f"{done} papers embedded"


def send_digests() -> str:
    """Compose the daily digests (latest feed day) and weekly ones (last complete ISO
    week) into the outbox and send them. Composing a period twice adds nothing."""
    summary = RunSummary()
    today = timezone.now().date()
    for frequency in ("daily", "weekly"):
        period = default_period(frequency, today)
        if period is not None:
            compose_period(frequency, period, summary=summary)
    send_due(summary=summary)
    return str(summary)


def embed_pending() -> str | None:
    """Every poll: embed papers that have no current vector (imported, submitted or
    edited since), a batch at a time, so semantic search catches up by itself."""
    if not getattr(settings, "PAPERWIRE_EMBED_AFTER_INGEST", True):
        return None
    try:
        done = embed_missing(limit=EMBED_PER_POLL)
    except EmbeddingUnavailable as exc:
        log.warning("embeddings unavailable: %s", exc)
        return None
    return f"{done} papers embedded" if done else None


def retry_due_mail() -> str | None:
    """Every poll: send digests whose retry time has come. None when there were none."""
    summary = RunSummary()
    send_due(summary=summary)
    return str(summary) if summary.sent or summary.retrying or summary.failed else None


def schedule() -> list[DailyJob]:
    return [
        DailyJob(
            "ingest-arxiv", int(getattr(settings, "PAPERWIRE_INGEST_HOUR", 6)), ingest_arxiv_daily
        ),
        DailyJob("send-digests", int(settings.PAPERWIRE_DIGEST_HOUR), send_digests),
    ]


def claim(job: DailyJob, now: dt.datetime) -> bool:
    """Take today's run of `job` if no worker has; True when this worker won it."""
    today = now.date()
    ScheduledRun.objects.get_or_create(name=job.name)
    won = (
        ScheduledRun.objects.filter(name=job.name)
        .filter(Q(last_date__isnull=True) | Q(last_date__lt=today))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .update(
            last_date=today,
            started_at=now,
            finished_at=None,
            status="running",
            message="",
            claimed_by=f"{socket.gethostname()}:{os.getpid()}",
        )
    )
    return won == 1


def run_due(now: dt.datetime | None = None, jobs: list[DailyJob] | None = None) -> list[str]:
    """Run every job that is due and not claimed; returns one line per job run."""
    now = now or timezone.now()
    lines = []
    for job in schedule() if jobs is None else jobs:
        if now.hour < job.hour or not claim(job, now):
            continue
        try:
            message = job.run()
        except (IngestError, OSError, ValueError, smtplib.SMTPException) as exc:
            # Let a later poll retry today, not at once (the service may be down).
            ScheduledRun.objects.filter(name=job.name).update(
                status="failed",
                message=str(exc)[:2000],
                finished_at=timezone.now(),
                last_date=now.date() - dt.timedelta(days=1),
                retry_at=timezone.now() + RETRY_AFTER_FAILURE,
            )
            lines.append(f"{job.name}: failed: {exc}")
            log.error("%s failed: %s", job.name, exc)
            continue
        ScheduledRun.objects.filter(name=job.name).update(
            status="ok", message=message[:2000], finished_at=timezone.now(), retry_at=None
        )
        lines.append(f"{job.name}: {message}")
    return lines


def run_worker(
    *,
    once: bool = False,
    poll: float = 60.0,
    stop: threading.Event | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Poll the schedule until `stop` is set (or once)."""
    stop = stop or threading.Event()
    while True:
        for line in run_due():
            say(line)
        retried = retry_due_mail()
        if retried:
            say(f"digest retries: {retried}")
        embedded = embed_pending()
        if embedded:
            say(embedded)
        if once or stop.wait(poll):
            return
        # A long-lived process must not keep a connection the database has dropped.
        close_old_connections()
