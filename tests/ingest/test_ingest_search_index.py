"""New papers stored by the ingest reach the keyword index in one batch (papers.indexing),
and the index holds exactly what its triggers would have written: the FTS5 table on
SQLite, the weighted tsvector documents on PostgreSQL. Both hold the papers' readable
text (TeX markup read: `na\\"ive` as "naïve"), by either path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.upsert import store_entries
from paperwire.papers.models import Author, Paper
from paperwire.papers.records import AuthorRecord
from paperwire.search.backends import search_backend
from paperwire.search.fts_sql import _AUTHORS_OF, FTS_TABLE, SUSPEND_TABLE
from paperwire.search.pg_sql import DEFER_SETTING, DOC_TABLE
from paperwire.search.query import parse_query

pytestmark = pytest.mark.django_db(transaction=True)


def entry(
    n: int, authors: list[str], title: str | None = None, abstract: str | None = None
) -> ArxivEntry:
    stamp = dt.datetime(2024, 1, 2, 12, tzinfo=dt.UTC)
    return ArxivEntry(
        arxiv_id=f"2401.{n:05d}",
        title=title or f"Paper number {n} on retrieval",
        abstract=abstract or f"Abstract {n}: we study $x^{n}$ in detail.",
        authors=[AuthorRecord(a, "") for a in authors],
        categories=["cs.CL"],
        primary_category="cs.CL",
        versions=[{"version": 1, "date": "2024-01-02T12:00:00Z"}],
        latest_version=1,
        published=stamp,
        updated=stamp,
        feed_date=stamp.date(),
    )


def index_rows() -> list[tuple[object, ...]]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"SELECT paper_id, document::text FROM {DOC_TABLE} ORDER BY paper_id")
        else:
            cur.execute(f"SELECT rowid, title, abstract, authors FROM {FTS_TABLE} ORDER BY rowid")
        return [tuple(r) for r in cur.fetchall()]


def rebuilt_rows() -> list[tuple[object, ...]]:
    """What the triggers (and `reindex`) write for every stored paper."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT p.id, search_paper_document(coalesce(p.search_title, p.title), "
                "coalesce(p.search_abstract, p.abstract), search_paper_authors(p.id))::text "
                "FROM papers_paper p ORDER BY p.id"
            )
        else:
            authors = _AUTHORS_OF.format(pid="p.id")
            cur.execute(
                "SELECT p.id, coalesce(p.search_title, p.title), "
                f"coalesce(p.search_abstract, p.abstract), {authors} "
                "FROM papers_paper p ORDER BY p.id"
            )
        return [tuple(r) for r in cur.fetchall()]


def bylines_in_index() -> list[str]:
    """The authors the index holds for each paper, as one text (SQLite only keeps it)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT search_paper_authors(id) FROM papers_paper ORDER BY id")
        else:
            cur.execute(f"SELECT authors FROM {FTS_TABLE} ORDER BY rowid")
        return [r[0] for r in cur.fetchall()]


def suspended() -> bool:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT current_setting(%s, true)", [DEFER_SETTING])
            return cur.fetchone()[0] == "on"
        cur.execute(f"SELECT count(*) FROM {SUSPEND_TABLE}")
        return int(cur.fetchone()[0]) > 0


def test_bulk_insert_writes_the_same_index_rows_as_the_triggers() -> None:
    # A paper written the ordinary way (triggers), sharing an author with the batch.
    Paper.objects.create(public_id="pwold", title='An older na\\"ive paper', abstract="Old.")
    tex = 'The Schr\\"odinger bridge, 91\\% \\textbf{faster}'
    with transaction.atomic():
        store_entries([entry(1, ["Ada Lovelace", "Alan Turing"]), entry(2, [], title=tex),
                       entry(3, ["Alan Turing", "Grace Hopper", "Ada Lovelace"],
                             abstract='Poincar\\\'e sections of na\\"ive maps.')])  # fmt: skip
    assert Paper.objects.count() == 4
    assert index_rows() == rebuilt_rows()
    assert Paper.objects.get(arxiv_id="2401.00002").search_title == (
        "The Schrödinger bridge, 91% faster"
    )
    for raw, found in [("naive", [1, 4]), ("schrodinger", [3]), ("poincare", [4]), ("ive", [])]:
        ids = search_backend().keyword_search(parse_query(raw))[0][0]
        assert sorted(ids) == [Paper.objects.order_by("pk")[i - 1].pk for i in found], raw
    assert bylines_in_index()[1:] == [
        "Ada Lovelace, Alan Turing",
        "",
        "Alan Turing, Grace Hopper, Ada Lovelace",
    ]
    assert not suspended()
    # Updates and author renames still go through the triggers.
    with transaction.atomic():
        store_entries([entry(1, ["Alan Turing"], title='Paper one, retitled \\"Uber alles')])
    Author.objects.filter(name="Grace Hopper").update(name="Grace B. Hopper")
    assert index_rows() == rebuilt_rows()
    assert Paper.objects.get(arxiv_id="2401.00001").search_title == (
        "Paper one, retitled Über alles"
    )
    assert "Grace B. Hopper" in bylines_in_index()[3]


def test_a_failed_batch_leaves_the_triggers_following_writes() -> None:
    Paper.objects.create(public_id="pwold", title="An older paper", abstract="Old.")
    # A paper that fails to store (over the column's length on PostgreSQL, a stray
    # index row where it goes on SQLite): its batch fails after the index was suspended.
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            next_id = Paper.objects.get().pk + 1
            cur.execute(f"INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors) "
                        "VALUES (%s, 'stray', '', '')", [next_id])  # fmt: skip
    bad = entry(5, ["Ada Lovelace"])
    bad.doi = "x" * 5000
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        store_entries([entry(4, ["Alan Turing"]), bad])
    assert Paper.objects.count() == 1
    assert not suspended()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [next_id])
    Paper.objects.create(public_id="pwnew", title="Written after the failure", abstract="A.")
    assert index_rows() == rebuilt_rows()
    assert len(index_rows()) == 2


def test_a_failed_batch_whose_error_is_swallowed_cannot_commit_the_suspension() -> None:
    """The batch has no savepoint of its own: a caller that catches its error inside
    the same transaction cannot go on (nor commit), so a suspended index is never
    committed."""
    bad = entry(5, ["Ada Lovelace"])
    bad.doi = "x" * 5000
    if connection.vendor == "sqlite":
        bad.arxiv_id = bad.public_id = None  # type: ignore[assignment]  # NOT NULL public_id
    with transaction.atomic():
        with pytest.raises(Exception, match=r"NOT NULL|too long"):
            store_entries([entry(4, ["Alan Turing"]), bad])
        with pytest.raises(TransactionManagementError):
            Paper.objects.count()
    assert Paper.objects.count() == 0
    assert not suspended()
    Paper.objects.create(public_id="pwnew", title="Written after the failure", abstract="A.")
    assert index_rows() == rebuilt_rows()
