"""GET /api/daily_papers: Hugging Face's shape, its filters, and clear 400s."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def get(client: Client, query: str, status: int = 200) -> Any:
    response = client.get(f"/api/daily_papers{query}")
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def titles(items: list[dict[str, Any]]) -> list[str]:
    return [item["title"] for item in items]


def test_items_have_hugging_faces_shape(client: Client, small_feed) -> None:
    items = get(client, "?date=2026-01-05")

    assert isinstance(items, list) and len(items) == 3
    for item in items:
        assert set(item) >= {
            "paper",
            "publishedAt",
            "title",
            "summary",
            "numComments",
            "submittedBy",
            "thumbnail",
            "isAuthorParticipating",
        }
        paper = item["paper"]
        assert set(paper) >= {"id", "title", "summary", "authors", "publishedAt", "upvotes"}
        assert ISO_Z.match(item["publishedAt"]), item["publishedAt"]
        assert ISO_Z.match(paper["publishedAt"]), paper["publishedAt"]
        assert paper["title"] == item["title"] and paper["summary"] == item["summary"]
        assert isinstance(paper["authors"], list)
        assert all(set(a) >= {"name"} for a in paper["authors"])
    by_id = {item["paper"]["id"]: item for item in items}
    s4 = by_id["2401.01234"]
    assert [a["name"] for a in s4["paper"]["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert s4["paper"]["publishedAt"] == "2024-01-02T00:00:00.000Z"
    assert s4["publishedAt"] == "2026-01-05T00:00:00.000Z"
    assert s4["paper"]["upvotes"] == 3 and s4["numComments"] == 0
    assert s4["summary"] == "S4 with named authors and an arXiv id."
    clue = next(i for i in items if i["title"] == "Hidden-State Clustering for Verification")
    assert clue["organization"]["name"] == "tencent"
    assert clue["organization"]["fullname"] == "Tencent"


def test_date_week_and_month(client: Client, small_feed) -> None:
    assert len(get(client, "?date=2026-01-07")) == 1
    assert titles(get(client, "?date=2026-01-07")) == ["Esports Replays at Scale"]
    assert len(get(client, "?week=2026-W02")) == 4
    assert len(get(client, "?month=2026-01")) == 4
    assert titles(get(client, "?month=2026-02")) == ["GPU Communication Abstractions"]
    assert get(client, "?date=2026-01-06") == []
    assert len(get(client, "")) == 5


def test_demo_counts(client: Client, demo_feed) -> None:
    assert len(get(client, "?date=2026-01-05&limit=100")) == 20
    assert len(get(client, "?week=2026-W02&limit=100")) == 48
    assert len(get(client, "?month=2026-02&limit=100")) == 53
    assert len(get(client, "?date=2026-06-11&limit=100")) == 36
    assert len(get(client, "")) == 50  # the default page size


def test_paging(client: Client, small_feed) -> None:
    everything = titles(get(client, "?limit=5"))
    pages = [titles(get(client, f"?limit=2&p={p}")) for p in range(3)]

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [title for chunk in pages for title in chunk] == everything
    assert get(client, "?limit=2&p=3") == []
    assert get(client, "?p=1000000") == []
    assert get(client, "?p=9007199254740991&limit=100") == []


def test_date_week_and_month_together_are_the_days_all_cover(client: Client, small_feed) -> None:
    assert len(get(client, "?date=2026-01-05&week=2026-W02")) == 3
    assert len(get(client, "?week=2026-W02&month=2026-01")) == 4
    assert get(client, "?date=2026-01-05&month=2026-02") == []


@pytest.mark.parametrize(
    "query", ["?date=9999-12-31", "?date=0000-02-29", "?week=9999-W52", "?month=0000-01"]
)
def test_valid_periods_this_site_cannot_hold_are_empty(
    client: Client, small_feed, query: str
) -> None:
    """The Hub's patterns allow years 0000-9999; no paper is dated in those outside
    ours, so the answer is an empty list, not an error."""
    assert get(client, query) == []


def test_a_full_page_links_the_next_one(client: Client, small_feed) -> None:
    first = client.get("/api/daily_papers?limit=2&sort=publishedAt")
    assert first["Link"] == (
        '<http://testserver/api/daily_papers?limit=2&sort=publishedAt&p=1>; rel="next"'
    )
    last = client.get("/api/daily_papers?limit=2&p=2")
    assert len(last.json()) == 1 and "Link" not in last
    # The header comes back with the page from the cache too.
    assert client.get("/api/daily_papers?limit=2&sort=publishedAt")["Link"] == first["Link"]


def test_sort_published_at_is_newest_submission_first(client: Client, import_rows) -> None:
    import_rows(
        [
            {"title": "Early", "submitted_at": "2026-01-05T08:00:00Z", "upvotes": 50},
            {"title": "Late", "submitted_at": "2026-01-05T20:00:00Z", "upvotes": 1},
            {"title": "Middle", "submitted_at": "2026-01-05T12:00:00Z", "upvotes": 5},
        ]
    )

    items = get(client, "?date=2026-01-05&sort=publishedAt")

    assert titles(items) == ["Late", "Middle", "Early"]
    assert titles(get(client, "?date=2026-01-05")) == ["Late", "Middle", "Early"]
    assert items[0]["publishedAt"] == "2026-01-05T20:00:00.000Z"


def test_sort_trending_weighs_upvotes_against_age(client: Client, import_rows) -> None:
    now = dt.datetime.now(dt.UTC)

    def hours_ago(hours: int) -> str:
        return (now - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    import_rows(
        [
            # Same age: more upvotes trend higher.
            {"title": "Few", "submitted_at": hours_ago(2), "upvotes": 2},
            {"title": "Many", "submitted_at": hours_ago(2), "upvotes": 20},
            # Far older with many more upvotes sinks below both.
            {"title": "Old", "submitted_at": hours_ago(200), "upvotes": 50},
        ]
    )

    assert titles(get(client, "?sort=trending")) == ["Many", "Few", "Old"]


def test_submitter_filter(client: Client, import_rows) -> None:
    import_rows(
        [
            {"title": "Mine", "submitted_by": "akhaliq", "feed_date": "2026-01-05"},
            {"title": "Theirs", "submitted_by": "someone", "feed_date": "2026-01-05"},
        ]
    )

    items = get(client, "?submitter=akhaliq")

    assert titles(items) == ["Mine"]
    assert items[0]["submittedBy"]["user"] == "akhaliq"
    assert get(client, "?submitter=nobody") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date=2023-02-30", "does not exist"),
        ("?date=02/01/2023", "YYYY-MM-DD"),
        ("?date=today", "YYYY-MM-DD"),
        ("?week=2026-W00", "has no week 0"),
        ("?week=2026W02", "YYYY-Www"),
        ("?month=2026-00", "months run from 01 to 12"),
        ("?month=2026-1", "YYYY-MM"),
        ("?week=2026-W53", "from W01 to W52"),
        ("?p=-1", "p must be at least 0"),
        ("?p=one", "p must be a whole number"),
        ("?p=9007199254740992", "p must be at most 9007199254740991"),
        ("?limit=1000000000", "limit must be at most 100"),
        ("?limit=0", "limit must be at least 1"),
        ("?limit=1e3", "limit must be a whole number"),
        ("?sort=upvotes", "sort must be 'publishedAt' or 'trending'"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(
    client: Client, small_feed, query: str, message: str
) -> None:
    body = get(client, query, status=400)

    assert set(body) == {"error"}
    assert message in body["error"]
