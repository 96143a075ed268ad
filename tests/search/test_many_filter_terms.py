"""Two hundred terms of every kind, and of all kinds mixed, on every surface of search.

Each author:, cat: and org: filter was a join: 32 of them hit SQLite's "at most 64 tables
in a join", about 100 "too many FROM clause terms" (a 500 on /search, the API and the
search feeds; the CLI blamed PAPERWIRE_DATABASE_URL). Queries are now capped (1,000
characters, 32 words, 8 phrases, 16 exclusions, 8 of those filters) with a note. These
tests hold every surface to that: the page, /api/papers/search, both search feeds,
saved searches in digests and `paperwire search`, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import Client

from paperwire.digests.compose import PeriodPapers, compose
from paperwire.digests.models import Subscription
from paperwire.papers import feed
from paperwire.papers.dbtools import explain
from support import run_cli

TERMS: dict[str, Callable[[int], str]] = {
    "author": lambda i: f"author:x{i}",
    "author-quoted": lambda i: f'author:"Ada Lovelace {i}"',
    "cat": lambda i: f"cat:cs.X{i}",
    "org": lambda i: f"org:o{i}",
    "year": lambda i: f"year:{1900 + i}",
    "after": lambda i: f"after:2020-01-{i % 28 + 1:02d}",
    "before": lambda i: f"before:2021-{i % 12 + 1:02d}",
    "sort": lambda i: ("sort:date", "sort:upvotes", "sort:nonsense")[i % 3],
    "word": lambda i: f"word{i}",
    "phrase": lambda i: f'"two words{i}"',
    "exclusion": lambda i: f"-gone{i}",
    "unknown-key": lambda i: f"key{i}:value",
}


def two_hundred(kind: str) -> str:
    if kind == "mixed":
        makers = list(TERMS.values())
        return " ".join(makers[i % len(makers)](i) for i in range(200))
    return " ".join(TERMS[kind](i) for i in range(200))


KINDS = [*TERMS, "mixed"]


@pytest.mark.parametrize("kind", KINDS)
def test_page_api_and_feeds_answer(embedded: None, client: Client, kind: str) -> None:
    for query in (two_hundred(kind), "language models " + two_hundred(kind)):
        page = client.get("/search", {"q": query})
        assert page.status_code == 200
        # The API takes the Hub's 250 characters at most: the terms that fit answer, the
        # whole query is a 400 that names q.
        fits = query[:250].rsplit(" ", 1)[0]
        api = client.get("/api/papers/search", {"q": fits})
        assert api.status_code == 200 and isinstance(api.json(), list)
        too_long = client.get("/api/papers/search", {"q": query})
        assert too_long.status_code == 400 and "q" in too_long.json()["error"]
        for fmt in ("rss", "atom"):
            assert client.get(f"/feeds/search.{fmt}", {"q": query}).status_code == 200


def test_the_notes_say_what_was_left_out(embedded: None, client: Client) -> None:
    html = client.get("/search", {"q": "cat:cs.CL " + two_hundred("mixed")}).content.decode()
    assert "Only the first 1000 characters of the query were used." in html
    assert "Only the first 8 author:, cat: and org: filters were used" in html


@pytest.mark.parametrize("kind", ["author", "mixed"])
def test_a_saved_search_of_two_hundred_terms_in_a_digest(embedded: None, kind: str) -> None:
    subscription = Subscription.objects.create(
        email="reader@example.org",
        status=Subscription.ACTIVE,
        topics={"keywords": [two_hundred(kind), "language models " + two_hundred(kind)]},
    )
    period = feed.month_of(feed.latest_feed_date())  # type: ignore[arg-type]
    assert compose(subscription, PeriodPapers(period)) is not None


COMMON_WORDS = "language model learning attention agents vision reasoning data train code".split()


def test_two_hundred_topics_of_each_kind_in_a_digest(embedded: None) -> None:
    # The forms allow 20 of each; the admin's JSON field takes anything. 800 topics made
    # a WHERE clause deeper than SQLite allows (1,000).
    subscription = Subscription.objects.create(
        email="reader@example.org",
        status=Subscription.ACTIVE,
        topics={
            "keywords": [f"{word} x{i}" for i, word in enumerate(COMMON_WORDS * 20)],
            "authors": [f"Author {i}" for i in range(200)],
            "categories": ["cs.CL"] + [f"cs.X{i}" for i in range(199)],
            "organizations": [f"org{i}" for i in range(200)],
        },
    )
    period = feed.month_of(feed.latest_feed_date())  # type: ignore[arg-type]
    digest = compose(subscription, PeriodPapers(period))
    assert digest is not None and digest.paper_ids


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_cli_searches_with_two_hundred_terms(
    backend_database_url: str, demo: None, tmp_path: Path
) -> None:
    for kind in ("author", "mixed"):
        done = run_cli(
            "search",
            "--json",
            "--keyword-only",
            "language models " + two_hundred(kind),
            data_dir=tmp_path,
            PAPERWIRE_DATABASE_URL=backend_database_url,
        )
        assert done.returncode == 0, done.stderr
        assert isinstance(json.loads(done.stdout), list)
        assert "PAPERWIRE_DATABASE_URL" not in done.stderr


def _query_error(backend: str) -> OperationalError:
    """A real error of a query the database refuses, on a healthy connection."""
    if backend == "sqlite":
        joins = " ".join(f"JOIN papers_paper p{i} ON p{i}.id = p0.id" for i in range(1, 70))
        sql = f"SELECT p0.id FROM papers_paper p0 {joins}"
    else:
        sql = "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)"
    with pytest.raises(OperationalError) as failure, connection.cursor() as cursor:
        cursor.execute(sql)
    return failure.value


@pytest.mark.django_db
def test_a_query_the_database_refuses_is_not_blamed_on_the_database_url(backend: str) -> None:
    message = explain(_query_error(backend))
    assert "PAPERWIRE_DATABASE_URL" not in message
    assert "the database refused a query" in message


def test_a_connection_failure_still_points_at_the_database_url(tmp_path: Path) -> None:
    done = run_cli(
        "search",
        "attention",
        data_dir=tmp_path,
        PAPERWIRE_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
    )
    assert done.returncode != 0
    assert "PAPERWIRE_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
