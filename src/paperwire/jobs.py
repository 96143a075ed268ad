"""Background jobs and their schedule. `paperwire worker` runs whatever is due.

A daily job runs once per day (UTC) at or after its hour. Any number of workers may
run: each claims a day with one conditional UPDATE, which only one of them wins, and
puts the run on the task queue (Django's Tasks API, stored in the database by
django-tasks-db); workers take queued tasks with row locks, so each runs once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus, task
from django_tasks.signals import task_finished
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from paperwire.community.ratelimit import forget_expired
from paperwire.community.resets import do_abandoned_resets
from paperwire.community.signups import delete_unverified_accounts
from paperwire.digests.outbox import RunSummary, compose_period, send_due
from paperwire.digests.periods import default_period
from paperwire.ingest.categories import parse_categories
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import ScheduledRun
from paperwire.ingest.pipeline import IngestRequest, run_ingest
from paperwire.mail.outbox import send_due_mail
from paperwire.mail.sending import claimer_alive
from paperwire.search.embeddings import EmbeddingUnavailable
from paperwire.search.vectors import embed_missing

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = dt.timedelta(minutes=30)
# A running job stamps its heartbeat this often; a run not stamped for LEASE is taken over.
HEARTBEAT = dt.timedelta(minutes=1)
LEASE = dt.timedelta(minutes=15)
TASK_PATH = "paperwire.jobs.run_daily_job"
# Papers embedded per worker poll: about half a minute of CPU on two cores.
EMBED_PER_POLL = 512


def _always() -> bool:
    return True


@dataclass(frozen=True)
class DailyJob:
    name: str
    hour: int
    run: Callable[[], str]
    # False: nothing is configured for the job, so the day is left unclaimed (a worker
    # started with the setting later that day still runs it).
    configured: Callable[[], bool] = _always


def ingest_configured() -> bool:
    return bool(getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", []))


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


def embed_pending(stop: threading.Event | None = None) -> str | None:
    """Every poll: embed papers that have no current vector (imported, submitted or
    edited since), a batch at a time, so semantic search catches up by itself. A set
    `stop` ends it after the batch in hand."""
    if not getattr(settings, "PAPERWIRE_EMBED_AFTER_INGEST", True):
        return None
    try:
        done = embed_missing(
            limit=EMBED_PER_POLL, should_stop=stop.is_set if stop is not None else None
        )
    except EmbeddingUnavailable as exc:
        log.warning("embeddings unavailable: %s", exc)
        return None
    return f"{done} papers embedded" if done else None


def retry_due_mail() -> str | None:
    """Every poll: send account mail and digests whose (retry) time has come. None when
    there were none."""
    summary = RunSummary()
    send_due_mail(summary=summary)
    send_due(summary=summary)
    return str(summary) if summary.sent or summary.retrying or summary.failed else None


def schedule() -> list[DailyJob]:
    return [
        DailyJob(
            "ingest-arxiv",
            int(getattr(settings, "PAPERWIRE_INGEST_HOUR", 6)),
            ingest_arxiv_daily,
            ingest_configured,
        ),
        DailyJob("send-digests", int(settings.PAPERWIRE_DIGEST_HOUR), send_digests),
    ]


def claim(job: DailyJob, now: dt.datetime) -> bool:
    """Take today's run of `job` if no worker has, or if the worker running it died: at
    once when it ran on this machine (its process is gone), else when its heartbeat is
    older than LEASE. True when this worker won it."""
    today = now.date()
    ScheduledRun.objects.get_or_create(name=job.name)
    abandoned = Q(status="running") & Q(heartbeat_at__lt=now - LEASE)
    dead = _dead_local_claimer(job.name)
    if dead:
        # kill -9 or a crash of a worker here: a restarted worker need not wait the lease.
        abandoned |= Q(status="running", claimed_by=dead)
    takeover = ScheduledRun.objects.filter(abandoned, name=job.name).exists()
    won = (
        ScheduledRun.objects.filter(name=job.name)
        .filter(Q(last_date__isnull=True) | Q(last_date__lt=today) | abandoned)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .update(
            last_date=today,
            started_at=now,
            finished_at=None,
            status="queued",
            message="",
            claimed_by=WORKER_ID,
            heartbeat_at=None,
        )
    )
    if won and takeover:
        # The dead worker's task would show as running for ever.
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, task_path=TASK_PATH, args_kwargs__args__0=job.name
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="paperwire.jobs.WorkerLost",
            traceback=(
                f"its worker {dead} has died" if dead else f"its worker stopped beating for {LEASE}"
            )
            + f"; the run was taken over by {WORKER_ID}",
        )
    return won == 1


def _dead_local_claimer(name: str) -> str | None:
    """The "host:pid" holding the run of job `name`, if that is a process of this machine
    that has ended."""
    claimer = (
        ScheduledRun.objects.filter(name=name, status="running")
        .values_list("claimed_by", flat=True)
        .first()
    )
    if claimer and not claimer_alive(claimer):
        return claimer
    return None


WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
# Jobs handed to run_due() that are not in schedule() (an embedding program's own
# jobs, the tests'), so the task that runs them in this process can find them.
_GIVEN: dict[str, DailyJob] = {}


def _job(name: str) -> DailyJob | None:
    return {job.name: job for job in schedule()}.get(name) or _GIVEN.get(name)


@task()
def run_daily_job(name: str, day: str) -> str:
    """The queued task of one claimed daily run; records its outcome on the ScheduledRun
    row. A failure lets a later poll retry today (after RETRY_AFTER_FAILURE), not at once:
    the service it needs may be down."""
    job = _job(name)
    if job is None:
        raise LookupError(f"no scheduled job is called {name!r}")
    ScheduledRun.objects.filter(name=name).update(
        status="running", claimed_by=WORKER_ID, heartbeat_at=timezone.now()
    )
    mine = ScheduledRun.objects.filter(name=name, status="running", claimed_by=WORKER_ID)
    try:
        with _heartbeat(name):
            message = job.run()
    except Exception as exc:  # every failure is recorded and retried later
        mine.update(
            status="failed",
            message=str(exc)[:2000],
            finished_at=timezone.now(),
            last_date=dt.date.fromisoformat(day) - dt.timedelta(days=1),
            retry_at=timezone.now() + RETRY_AFTER_FAILURE,
        )
        log.error("%s failed: %s", name, exc)
        return f"{name}: failed: {exc}"
    if not mine.update(
        status="ok", message=message[:2000], finished_at=timezone.now(), retry_at=None
    ):
        log.warning("%s finished after another worker took the run over", name)
    return f"{name}: {message}"


@contextlib.contextmanager
def _heartbeat(name: str) -> Iterator[None]:
    """Stamp the run's heartbeat_at every HEARTBEAT while the job runs (in a thread with
    its own connection), so that a worker that dies mid-run is noticed (claim)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT.total_seconds()):
                try:
                    ScheduledRun.objects.filter(
                        name=name, status="running", claimed_by=WORKER_ID
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError as exc:  # busy or gone for a moment: beat again later
                    log.warning("heartbeat of %s not written: %s", name, exc)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"paperwire-heartbeat-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def enqueue_due(now: dt.datetime | None = None, jobs: list[DailyJob] | None = None) -> int:
    """Claim each job that is due and put its run on the task queue, in one transaction
    (a worker killed in between leaves neither). Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for job in schedule() if jobs is None else jobs:
        if jobs is not None:
            _GIVEN[job.name] = job
        if now.hour < job.hour or not job.configured():
            continue
        with transaction.atomic():
            if claim(job, now):
                run_daily_job.enqueue(job.name, now.date().isoformat())
                queued += 1
    return queued


def run_queued() -> list[str]:
    """Run every task that is ready on the queue, whichever process queued it; each is
    taken with a row lock (SKIP LOCKED on PostgreSQL), so no two workers run one task.
    Returns one line per task run here."""
    lines: list[str] = []

    def finished(sender: object, task_result: TaskResult[Any], **kwargs: object) -> None:
        if task_result.status == TaskResultStatus.SUCCESSFUL:
            lines.append(str(task_result.return_value))
        else:
            error = task_result.errors[-1].exception_class_path if task_result.errors else "?"
            lines.append(f"{task_result.task.name}: failed ({error}); see the task's result")

    uid = f"paperwire-run-queued-{id(lines)}"
    task_finished.connect(finished, weak=False, dispatch_uid=uid)
    # django-tasks-db's own worker loop, less its connection closing and sleeping (the
    # poll loop in run_worker does those): take one ready task under a row lock, mark it
    # running, commit, run it.
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id=WORKER_ID[:64],
                    excluded_queue_names=[])  # fmt: skip
    try:
        while True:
            try:
                with exclusive_transaction():
                    queued = DBTaskResult.objects.ready().filter(backend_name="default")
                    taken = queued.get_locked()
                    if taken is None:
                        break
                    taken.claim(worker.worker_id)
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    break  # another process is writing: the next poll tries again
                raise
            worker.run_task(taken)
    finally:
        task_finished.disconnect(dispatch_uid=uid)
    return lines


def run_due(now: dt.datetime | None = None, jobs: list[DailyJob] | None = None) -> list[str]:
    """Queue every job that is due and not claimed, then run what the queue holds; returns
    one line per task run."""
    enqueue_due(now, jobs)
    return run_queued()


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
            say(f"mail: {retried}")
        forget_expired()  # rate-limit counters of windows that are over
        do_abandoned_resets()
        released = delete_unverified_accounts()
        if released:
            say(f"{released} accounts never verified were removed (their usernames are free)")
        embedded = embed_pending(stop)
        if embedded:
            say(embedded)
        if once or stop.wait(poll):
            return
        # A long-lived process must not keep a connection the database has dropped.
        close_old_connections()
