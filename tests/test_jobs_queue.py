"""Daily jobs go through the task queue (django-tasks with django-tasks-db): claimed once,
queued in the same transaction, and run by whichever worker takes the task first."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from paperwire import jobs
from paperwire.ingest.models import ScheduledRun

NOON = dt.datetime(2024, 1, 5, 12, 0, tzinfo=dt.UTC)
BIN = Path(sys.executable).parent


@pytest.mark.django_db
def test_a_claimed_run_is_queued_once_and_run_once() -> None:
    ran: list[int] = []
    job = jobs.DailyJob("count", 0, lambda: ran.append(1) or "counted")
    # Two workers polling at the same moment: one claim, one queued task.
    assert jobs.enqueue_due(NOON, [job]) == 1
    assert jobs.enqueue_due(NOON, [job]) == 0
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.status) == ("paperwire.jobs.run_daily_job", "READY")
    assert jobs.run_queued() == ["count: counted"]
    assert jobs.run_queued() == []
    assert ran == [1]
    done = DBTaskResult.objects.get()
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == "count: counted"
    assert done.worker_ids == [jobs.WORKER_ID[:64]]


@pytest.mark.django_db
def test_an_unexpected_error_is_recorded_and_retried_later() -> None:
    def broken() -> str:
        raise KeyError("no such thing")

    job = jobs.DailyJob("broken", 0, broken)
    assert jobs.run_due(NOON, [job]) == ["broken: failed: 'no such thing'"]
    row = ScheduledRun.objects.get(name="broken")
    assert row.status == "failed" and row.retry_at is not None
    assert row.last_date == NOON.date() - dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_task_for_an_unknown_job_fails_without_stopping_the_worker() -> None:
    jobs.run_daily_job.enqueue("no-such-job", "2024-01-05")
    lines = jobs.run_queued()
    assert lines == ["run_daily_job: failed (builtins.LookupError); see the task's result"]
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_another_worker_process_runs_what_this_one_queued() -> None:
    """The schedule's own jobs, queued here, are run by `paperwire worker --once` in a
    separate process on the same database."""
    now = dt.datetime.now(dt.UTC).replace(hour=23)
    assert jobs.enqueue_due(now) == len(jobs.schedule())
    assert DBTaskResult.objects.filter(status="READY").count() == len(jobs.schedule())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_DATA_DIR=str(settings.DATA_DIR),  # type: ignore[misc]
        PAPERWIRE_DATABASE_URL="sqlite:///" + str(connection.settings_dict["NAME"]),
        PAPERWIRE_EMBED_AFTER_INGEST="0",
        PAPERWIRE_INGEST_CATEGORIES="",
    )
    out = subprocess.run(
        [str(BIN / "paperwire"), "worker", "--once"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "ingest-arxiv: no categories configured" in out.stdout
    assert "send-digests:" in out.stdout
    results = list(DBTaskResult.objects.all())
    assert {r.status for r in results} == {TaskResultStatus.SUCCESSFUL}
    assert all(r.worker_ids and not r.worker_ids[0].endswith(f":{os.getpid()}") for r in results)
    assert set(ScheduledRun.objects.values_list("status", flat=True)) == {"ok"}
