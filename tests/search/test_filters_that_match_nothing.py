"""A filter that matches nothing finds nothing, and says so, on every surface."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from paperwire.search.engine import search
from support import copy_database

NOTHING = [
    "author:zzzzqqq",
    "cat:math.AG",
    "org:nonexistentorg",
    "year:1990",
    "org:tencent cat:math.AG",
    "before:1900-01-01",
]


@pytest.mark.parametrize("query", NOTHING)
def test_a_filter_alone_that_matches_nothing_lists_nothing(demo: None, query: str) -> None:
    results = search(query)
    assert results.ids == [] and results.total == 0


@pytest.mark.parametrize("query", NOTHING)
def test_words_with_a_filter_that_matches_nothing(embedded: None, query: str) -> None:
    results = search("language models " + query)
    assert results.ids == [] and results.total == 0


def test_a_filter_that_matches_lists_only_its_papers(demo: None) -> None:
    results = search("org:tencent")
    papers = results.papers(limit=100)
    assert papers and len(papers) < 137
    assert all(p.organization and p.organization.name == "tencent" for p in papers)


@pytest.mark.parametrize("query", ["author:zzzzqqq", "org:tencent cat:math.AG"])
def test_page_and_api_say_nothing_matches(embedded: None, client: Client, query: str) -> None:
    html = client.get("/search", {"q": query}).content.decode()
    assert "No papers match." in html
    assert 'class="card' not in html
    # what to try next, not tabs that sort nothing
    assert 'class="search-help"' in html and "remove a filter above" in html
    assert 'class="sort-tabs"' not in html
    answer = client.get("/api/papers/search", {"q": "attention " + query})
    assert answer.status_code == 200 and answer.json() == []


def test_search_feed_of_a_filter_that_matches_nothing(demo: None, client: Client) -> None:
    import feedparser

    body = client.get("/feeds/search.rss", {"q": "year:1990"}).content
    assert feedparser.parse(body).entries == []
    body = client.get("/feeds/search.rss", {"q": "org:tencent"}).content
    assert feedparser.parse(body).entries


@pytest.mark.slow
def test_cli_search_with_a_filter_that_matches_nothing(
    migrated_template: Path, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    copy_database(migrated_template, tmp_path)  # as `paperwire migrate` leaves it
    assert cli("load-demo", data_dir=tmp_path, timeout=120).returncode == 0
    out = cli("search", "--json", "cat:math.AG", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("kind", ["author", "cat", "org"])
def test_two_hundred_filters_get_a_note_not_an_error(
    embedded: None, client: Client, kind: str
) -> None:
    query = "learning " + " ".join(f"{kind}:x{i}" for i in range(200))
    page = client.get("/search", {"q": query})
    assert page.status_code == 200
    assert "Only the first 8 author:, cat: and org: filters were used" in page.content.decode()
    # The API takes at most 250 characters of query (the Hub's limit): as many filters as
    # fit are a 200, the long query a 400 that says why.
    fits = "learning " + " ".join(f"{kind}:x{i}" for i in range(20))
    assert len(fits) <= 250
    assert client.get("/api/papers/search", {"q": fits}).status_code == 200
    too_long = client.get("/api/papers/search", {"q": query})
    assert too_long.status_code == 400 and "q" in too_long.json()["error"]
    assert client.get("/feeds/search.atom", {"q": query}).status_code == 200
    assert client.get("/search", {"q": query.replace("learning ", "")}).status_code == 200


def test_an_emoji_only_query_says_why_it_found_nothing(demo: None, client: Client) -> None:
    html = client.get("/search", {"q": "🙂🙂 🚀"}).content.decode()
    assert "Nothing in this query can be searched for" in html
