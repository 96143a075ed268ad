"""The scheduled daily ingest: claimed once per day across workers, retried after failure."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from arxiv_fake import FakeArxiv, fixture, oai_router
from django.core.management import call_command
from django.test import override_settings

from paperwire import jobs
from paperwire.ingest.errors import IngestError
from paperwire.ingest.models import ScheduledRun
from paperwire.papers.models import FeedEntry

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2024, 1, 5, 12, 0, tzinfo=dt.UTC)


def test_one_claim_per_day() -> None:
    job = jobs.DailyJob("x", 6, lambda: "ok")
    assert jobs.claim(job, NOON)
    assert not jobs.claim(job, NOON)  # a second worker, same day
    assert not jobs.claim(job, NOON + dt.timedelta(hours=5))
    assert jobs.claim(job, NOON + dt.timedelta(days=1))


def test_run_due_respects_the_hour_and_records_the_outcome() -> None:
    ran: list[str] = []
    job = jobs.DailyJob("x", 13, lambda: ran.append("x") or "did x")
    assert jobs.run_due(NOON, [job]) == []
    assert jobs.run_due(NOON + dt.timedelta(hours=1), [job]) == ["x: did x"]
    assert jobs.run_due(NOON + dt.timedelta(hours=2), [job]) == []
    assert ran == ["x"]
    row = ScheduledRun.objects.get(name="x")
    assert (row.last_date, row.status, row.message) == (NOON.date(), "ok", "did x")


def test_failed_run_is_retried_later_not_at_once() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise IngestError("arXiv is down")
        return "fine"

    job = jobs.DailyJob("y", 0, flaky)
    assert jobs.run_due(NOON, [job]) == ["y: failed: arXiv is down"]
    row = ScheduledRun.objects.get(name="y")
    assert (row.status, row.message) == ("failed", "arXiv is down")
    assert jobs.run_due(NOON, [job]) == []  # retry_at is in the future
    ScheduledRun.objects.filter(name="y").update(retry_at=NOON)
    assert jobs.run_due(NOON, [job]) == ["y: fine"]


def test_daily_ingest_puts_new_papers_in_the_feed(arxiv: FakeArxiv) -> None:
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    with override_settings(
        PAPERWIRE_INGEST_CATEGORIES=["cs.CL"],
        PAPERWIRE_ARXIV_OAI_URL=arxiv.url + "/oai",
        PAPERWIRE_ARXIV_DELAY=0,
        PAPERWIRE_INGEST_HOUR=0,
        PAPERWIRE_INGEST_LOOKBACK_DAYS=2,
        PAPERWIRE_EMBED_AFTER_INGEST=False,  # the search tests cover embedding
    ):
        out = StringIO()
        call_command("worker", "--once", stdout=out)
    assert out.getvalue().startswith("ingest-arxiv: 2 pages, 4 records: 2 new")
    params = arxiv.requests[0][1]
    assert params["set"] == "cs"
    assert dt.date.fromisoformat(params["until"]) - dt.date.fromisoformat(params["from"]) == (
        dt.timedelta(days=2)
    )
    assert sorted(FeedEntry.objects.values_list("paper__arxiv_id", "feed_date")) == [
        ("2401.00001", dt.date(2024, 1, 1)),
        ("2401.00006", dt.date(2024, 1, 4)),
    ]
    # The same day, a second worker finds nothing to do.
    out = StringIO()
    with override_settings(
        PAPERWIRE_INGEST_CATEGORIES=["cs.CL"],
        PAPERWIRE_INGEST_HOUR=0,
        PAPERWIRE_EMBED_AFTER_INGEST=False,
    ):
        call_command("worker", "--once", stdout=out)
    assert out.getvalue() == ""


def test_a_worker_without_categories_leaves_the_day_to_one_that_has_them(
    arxiv: FakeArxiv,
) -> None:
    # An operator starts the worker, then sets PAPERWIRE_INGEST_CATEGORIES and restarts
    # it the same day: the day's ingest must not have been used up by the first one.
    settings = {"PAPERWIRE_INGEST_HOUR": 0, "PAPERWIRE_EMBED_AFTER_INGEST": False}
    with override_settings(PAPERWIRE_INGEST_CATEGORIES=[], **settings):
        call_command("worker", "--once", stdout=StringIO())
    assert not ScheduledRun.objects.filter(name="ingest-arxiv", last_date__isnull=False)

    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    out = StringIO()
    with override_settings(
        PAPERWIRE_INGEST_CATEGORIES=["cs.CL"],
        PAPERWIRE_ARXIV_OAI_URL=arxiv.url + "/oai",
        PAPERWIRE_ARXIV_DELAY=0,
        **settings,
    ):
        call_command("worker", "--once", stdout=out)
    assert "ingest-arxiv: 2 pages, 4 records: 2 new" in out.getvalue()


def test_daily_ingest_without_categories_says_so() -> None:
    with override_settings(PAPERWIRE_INGEST_CATEGORIES=[]):
        assert "nothing to do" in jobs.ingest_arxiv_daily()
