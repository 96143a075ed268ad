"""Daily jobs go through the task queue (django-tasks with django-tasks-db): claimed once,
queued in the same transaction, and run by whichever worker takes the task first."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from paperwire import jobs
from paperwire.ingest.models import ScheduledRun
from support import base_env

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
    with override_settings(PAPERWIRE_INGEST_CATEGORIES=["cs.CL"]):  # queued with them
        assert jobs.enqueue_due(now) == len(jobs.schedule())
    assert DBTaskResult.objects.filter(status="READY").count() == len(jobs.schedule())
    env = base_env()
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


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_taken_over_after_the_lease() -> None:
    ran: list[str] = []
    job = jobs.DailyJob("lease", 0, lambda: ran.append("run") or "done")
    assert jobs.enqueue_due(NOON, [job]) == 1
    # A worker takes the task and dies in the middle: the task and the run stay "running".
    task = DBTaskResult.objects.get()
    task.claim("dead-host:1")
    ScheduledRun.objects.filter(name="lease").update(
        status="running", claimed_by="dead-host:1", heartbeat_at=NOON - dt.timedelta(minutes=2)
    )
    # Within the lease (its last beat is recent) nobody takes the run over.
    assert jobs.enqueue_due(NOON, [job]) == 0
    assert jobs.run_queued() == [] and ran == []
    # Past the lease the next poll claims it again; the dead worker's task is marked failed.
    later = NOON + jobs.LEASE
    assert jobs.run_due(later, [job]) == ["lease: done"]
    assert ran == ["run"]
    dead = DBTaskResult.objects.get(pk=task.pk)
    assert dead.status == TaskResultStatus.FAILED
    assert dead.exception_class_path == "paperwire.jobs.WorkerLost"
    row = ScheduledRun.objects.get(name="lease")
    assert (row.status, row.claimed_by, row.last_date) == ("ok", jobs.WORKER_ID, NOON.date())
    # Done for the day: no further claim.
    assert jobs.enqueue_due(later + jobs.LEASE, [job]) == 0


def _local_claimer(alive: bool) -> tuple[str, subprocess.Popen[bytes]]:
    """host:pid of a process on this machine: one still running, or one that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    if not alive:
        child.kill()
        child.wait()
    return f"{socket.gethostname()}:{child.pid}", child


@pytest.mark.django_db
def test_a_run_whose_worker_on_this_machine_died_is_taken_over_at_once() -> None:
    """`kill -9` of a worker, then a new one on the same machine: the new one sees that
    the process holding the run is gone and runs it at once, not after the lease."""
    ran: list[str] = []
    job = jobs.DailyJob("local", 0, lambda: ran.append("run") or "done")
    assert jobs.enqueue_due(NOON, [job]) == 1
    dead, _ = _local_claimer(alive=False)
    task = DBTaskResult.objects.get()
    task.claim(dead[:64])
    ScheduledRun.objects.filter(name="local").update(
        status="running", claimed_by=dead, heartbeat_at=NOON
    )
    assert jobs.run_due(NOON + dt.timedelta(seconds=5), [job]) == ["local: done"]
    assert ran == ["run"]
    lost = DBTaskResult.objects.get(pk=task.pk)
    assert (lost.status, lost.exception_class_path) == (
        TaskResultStatus.FAILED,
        "paperwire.jobs.WorkerLost",
    )
    assert dead in lost.traceback
    row = ScheduledRun.objects.get(name="local")
    assert (row.status, row.claimed_by) == ("ok", jobs.WORKER_ID)


@pytest.mark.django_db
def test_a_run_whose_worker_on_this_machine_lives_is_left_to_it() -> None:
    job = jobs.DailyJob("busy", 0, lambda: "done")
    assert jobs.enqueue_due(NOON, [job]) == 1
    living, child = _local_claimer(alive=True)
    try:
        DBTaskResult.objects.get().claim(living[:64])
        ScheduledRun.objects.filter(name="busy").update(
            status="running", claimed_by=living, heartbeat_at=NOON
        )
        assert jobs.run_due(NOON + dt.timedelta(seconds=5), [job]) == []
        assert ScheduledRun.objects.get(name="busy").claimed_by == living
    finally:
        child.kill()
        child.wait()


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes on its own connection
def test_a_running_job_beats_and_a_late_finish_does_not_overwrite_a_takeover(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "HEARTBEAT", dt.timedelta(milliseconds=20))
    beats: list[object] = []

    def slow() -> str:
        # Runs until the heartbeat thread has stamped the run twice.
        for _ in range(500):
            stamp = ScheduledRun.objects.get(name="slow").heartbeat_at
            if stamp not in beats:
                beats.append(stamp)
            if len(beats) >= 3:
                break
            threading.Event().wait(0.01)
        # Meanwhile another worker took the run over (as if this one had stalled).
        ScheduledRun.objects.filter(name="slow").update(claimed_by="other:2")
        return "finished late"

    job = jobs.DailyJob("slow", 0, slow)
    assert jobs.run_due(NOON, [job]) == ["slow: finished late"]
    assert len(beats) >= 3
    row = ScheduledRun.objects.get(name="slow")
    assert (row.status, row.claimed_by) == ("running", "other:2")


@pytest.mark.django_db
def test_a_new_day_does_not_fail_a_run_that_is_still_beating() -> None:
    """Yesterday's run, still running with a fresh heartbeat, keeps its task's status."""
    job = jobs.DailyJob("long", 0, lambda: "done")
    yesterday = NOON - dt.timedelta(days=1)
    assert jobs.enqueue_due(yesterday, [job]) == 1
    task = DBTaskResult.objects.get()
    task.claim("busy-host:1")
    ScheduledRun.objects.filter(name="long").update(
        status="running", claimed_by="busy-host:1", heartbeat_at=NOON - dt.timedelta(minutes=1)
    )
    assert jobs.enqueue_due(NOON, [job]) == 1  # today's run is claimed and queued
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.RUNNING
