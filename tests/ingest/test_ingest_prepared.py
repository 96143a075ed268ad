"""Entries parsed by the parse-ahead worker carry their values in stored form
(sqltext.prepare); storing them must write exactly the rows that storing the same
entries parsed here writes, text for text."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from arxiv_fake import FIXTURES
from django.db import connection

from paperwire.ingest.ahead import flatten, unflatten
from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.oai import parse_oai_page
from paperwire.ingest.sqltext import Ready, prepare, sqlite_datetime, sqlite_json
from paperwire.ingest.upsert import store_entries
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple[object, ...]]:
    """Every stored column but the ids and timestamps of the row itself, as stored."""
    skip = {"id", "created", "modified"}
    columns = [f.column for f in Paper._meta.concrete_fields if f.column not in skip]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM papers_paper ORDER BY arxiv_id")
        return [tuple(str(v) if v is not None else None for v in r) for r in cursor.fetchall()]


def _search_text() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT arxiv_id, title, abstract, search_title, search_abstract FROM papers_paper"
        )
        return cursor.fetchall()


def _feed() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.arxiv_id, f.feed_date, f.submitted_at FROM papers_feedentry f "
            "JOIN papers_paper p ON p.id = f.paper_id ORDER BY p.arxiv_id"
        )
        return [tuple(str(v) for v in r) for r in cursor.fetchall()]


def _odd(entry: ArxivEntry) -> ArxivEntry:
    """Values off the fast paths: escaped JSON, microseconds, versions out of order, TeX
    to read for search."""
    assert entry.published is not None
    return dataclasses.replace(
        entry,
        arxiv_id=entry.arxiv_id[:-1] + "9",
        title='A na\\"ive title',
        abstract="Poincar\\'e maps, 91\\% of them.",
        categories=['cs.CL "quoted"', "cs.LG"],
        published=entry.published.replace(microsecond=123),
        versions=[{"version": 2, "date": "2024-01-03"}, {"version": 1, "date": "2024-01-02"}],
    )


@pytest.mark.parametrize("name", ["oai_raw_page1.xml", "oai_arxiv_page.xml"])
def test_prepared_entries_store_the_same_rows(name: str) -> None:
    page = parse_oai_page((FIXTURES / name).read_bytes())
    page.entries.append(_odd(page.entries[0]))
    data = flatten(page)
    assert data is not None
    prepared = unflatten(data).entries
    assert all(e.prepared is not None for e in prepared)
    assert all(e.prepared is None for e in page.entries)
    # A changed copy does not keep values made from the fields it changed.
    assert dataclasses.replace(prepared[0], title="Another title").prepared is None

    assert prepared[-1].prepared is not None
    assert prepared[-1].prepared.search == ("A naïve title", "Poincaré maps, 91% of them.")
    store_entries(page.entries)
    here, feed_here = _rows(), _feed()
    assert ("A naïve title", "Poincaré maps, 91% of them.") in [r[3:5] for r in _search_text()]
    Paper.objects.all().delete()
    store_entries(prepared)
    assert _rows() == here
    assert _feed() == feed_here
    assert len(here) == len(page.entries)


def test_prepare_makes_what_the_adapters_make() -> None:
    when = dt.datetime(2024, 2, 1, 10, 0, 5, 17, tzinfo=dt.UTC)
    ready = prepare("k", ["cs.CL", "cs.LG"], [{"version": 1, "date": "2024-02-01"}], when, None)
    assert ready.categories == '["cs.CL", "cs.LG"]'
    assert ready.versions == '[{"version": 1, "date": "2024-02-01"}]'
    assert ready.published == "2024-02-01 10:00:05.000017" == sqlite_datetime(when)
    assert ready.updated is None
    # Versions without numbers or out of order are left to the storing side.
    unnumbered = [{"version": None, "date": "2024-02-01"}]
    assert prepare("k", [], unnumbered, None, None).versions is None
    backwards = [{"version": 2, "date": "b"}, {"version": 1, "date": "a"}]
    assert prepare("k", [], backwards, None, None).versions is None
    assert prepare("k", [], [], None, None).categories is None
    # Text already in stored form passes the adapters unchanged.
    assert sqlite_json(Ready("[1]")) == "[1]" and sqlite_datetime(Ready("x")) == "x"  # type: ignore[arg-type]
