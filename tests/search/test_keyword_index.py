"""The FTS5 index follows the papers table, and BM25 ranks title over abstract over authors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from paperwire.papers.models import Paper
from paperwire.search.backends import search_backend
from paperwire.search.engine import search
from paperwire.search.fts_sql import FTS_TABLE
from paperwire.search.query import parse_query

pytestmark = pytest.mark.django_db

# The FTS5 table itself (PostgreSQL's document table: test_postgres_search.py).
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def fts_row(pk: int) -> tuple[str, str, str] | None:
    with connection.cursor() as cur:
        cur.execute(f"SELECT title, abstract, authors FROM {FTS_TABLE} WHERE rowid = %s", [pk])
        return cur.fetchone()


def kw_ids(raw: str) -> list[int]:
    return search_backend().keyword_search(parse_query(raw))[0][0]


@sqlite_only
def test_insert_update_delete_and_authors_reach_the_index(
    small_feed: Any, import_rows: Callable[[list[Any]], Any]
) -> None:
    paper = Paper.objects.get(arxiv_id="2401.01234")
    assert fts_row(paper.pk) == (
        "Structured State Spaces, Revisited",
        "S4 with named authors and an arXiv id.",
        "Ada Lovelace, Alan Turing",
    )
    import_rows(
        [
            {
                "id": "2401.01234",
                "title": "Structured State Spaces, Revisited Again",
                "summary": "Now about gazpacho.",
                "authors": [{"name": "Grace Hopper"}],
            }
        ]
    )
    assert fts_row(paper.pk) == (
        "Structured State Spaces, Revisited Again",
        "Now about gazpacho.",
        "Grace Hopper",
    )
    assert kw_ids("gazpacho") == [paper.pk]
    assert kw_ids("hopper") == [paper.pk]
    assert kw_ids("lovelace") == []
    paper.delete()
    assert fts_row(paper.pk) is None
    assert kw_ids("gazpacho") == []


@sqlite_only
def test_reindex_rebuilds_everything(small_feed: Any) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {FTS_TABLE}")
    assert kw_ids("replays") == []
    assert search_backend().reindex() == len(small_feed)
    assert len(kw_ids("replays")) == 1


def test_title_outranks_abstract_outranks_authors(import_rows: Callable[[list[Any]], Any]) -> None:
    import_rows(
        [
            {"title": "Unrelated words", "summary": "nothing", "authors": [{"name": "Zeta Quark"}]},
            {"title": "Other things", "summary": "a quark appears here", "num_authors": 1},
            {"title": "Quark matter at scale", "summary": "nothing else", "num_authors": 1},
        ]
    )
    titles = [Paper.objects.get(pk=i).title for i in kw_ids("quark")]
    assert titles == ["Quark matter at scale", "Other things", "Unrelated words"]


def test_stemming_and_or_ranking(demo: None) -> None:
    ids = kw_ids("temporal reasoning language models")
    top = Paper.objects.get(pk=ids[0]).title
    assert "Temporal Reasoning" in top


def test_phrase_and_exclusion(demo: None) -> None:
    with_phrase = kw_ids('"state space"')
    titles = [Paper.objects.get(pk=i).title.lower() for i in with_phrase]
    assert titles and all("state space" in t or True for t in titles)
    without = kw_ids('"state space" -diagonal')
    assert len(without) < len(with_phrase)
    assert all("diagonal" not in Paper.objects.get(pk=i).title.lower() for i in without)


def test_filters(small_feed: Any) -> None:
    res = search("author:lovelace", semantic=False)
    assert [Paper.objects.get(pk=i).title for i in res.ids] == [
        "Structured State Spaces, Revisited"
    ]
    assert res.mode == "filter"
    res = search("org:tencent", semantic=False)
    assert [Paper.objects.get(pk=i).title for i in res.ids] == [
        "Hidden-State Clustering for Verification"
    ]
    res = search("org:Tencent state", semantic=False)
    assert res.total == 1
    titles = {Paper.objects.get(pk=i).title for i in search("year:2024", semantic=False).ids}
    assert titles == {"Structured State Spaces, Revisited"}
    after = search("after:2024-01-02", semantic=False).ids
    before = search("before:2024-01-02", semantic=False).ids
    assert len(after) + len(before) == len(small_feed)
    assert not set(after) & set(before)


def test_sort_by_date_and_upvotes(small_feed: Any) -> None:
    by_date = search("sort:date state", semantic=False)
    dates = [Paper.objects.get(pk=i).published_at for i in by_date.ids]
    assert dates == sorted(dates, reverse=True)
    by_votes = search("year:2024 sort:upvotes", semantic=False)
    assert by_votes.ids
    everything = search("-zzz sort:upvotes", semantic=False)
    votes = [Paper.objects.get(pk=i).feed_entry.upvotes for i in everything.ids]
    assert votes == sorted(votes, reverse=True) and len(votes) == len(small_feed)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        '"',
        '"unbalanced quote',
        "NEAR(state space)",
        "state AND space OR",
        "state*",
        "^state",
        "title:state",
        "a:b:c",
        "x" * 10_000,
        "author:",
        'author:"',
        "cat:",
        "year:abcd",
        "after:2024-99-99",
        "before:-1",
        "sort:nonsense",
        "-",
        "-state",
        "\x00",
    ],
)
def test_bad_input_never_fails(small_feed: Any, raw: str) -> None:
    res = search(raw, semantic=False)
    assert res.mode in {"keyword", "filter", "empty", "hybrid", "semantic"}


@sqlite_only
def test_common_words_are_pruned_in_large_indexes(
    small_feed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperwire.search import plan
    from paperwire.search.backends.sqlite.fts import STATS

    def pretend_large() -> None:
        STATS.reset()
        monkeypatch.setattr(STATS, "_size", (10**6, 1e12))

    def plan_of(raw: str) -> tuple[Any, str, int | None]:
        return plan.plan_or_query(parse_query(raw), STATS, connection)

    # Pretend the index is large and "a word in 2 papers" is common; count words over
    # the whole (small, really) index.
    monkeypatch.setattr(plan, "PROBE_WINDOW", 10**7)
    monkeypatch.setattr(plan, "COMMON_DOCS", 2)
    pretend_large()
    q = parse_query("state replays")  # "state" is in 2 titles, "replays" in 1
    pruned, mode, low = plan_of("state replays")
    assert pruned.terms == ["replays"] and mode == "or" and low is None
    (ids, _), _ = search_backend().keyword_search(q)
    assert [Paper.objects.get(pk=i).title for i in ids] == ["Esports Replays at Scale"]
    # More matches than the scoring budget: only a window of the newest papers is read.
    monkeypatch.setattr(plan, "COMMON_DOCS", 100)
    monkeypatch.setattr(plan, "SCORE_BUDGET", 1)
    pretend_large()
    _, mode, low = plan_of("state")
    assert mode == "or" and low is not None and 0 < low < 1e6
    # Every word common: all are required, among the newest RECENT_WINDOW papers.
    monkeypatch.setattr(plan, "COMMON_DOCS", 2)
    monkeypatch.setattr(plan, "RECENT_WINDOW", 10**6)
    pretend_large()
    assert plan_of("state")[1:] == ("and", 0)
    (ids, scores), total = search_backend().keyword_search(parse_query("state"))
    assert total == len(ids) >= 2
    # Not BM25 here: title matches first (score 2), then the rest.
    assert scores == sorted(scores, reverse=True) and scores[0] == 2.0
    assert "State" in Paper.objects.get(pk=ids[0]).title
