"""New papers stored by the ingest reach the keyword index in one batch (papers.indexing),
and the index holds exactly what its triggers would have written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.upsert import store_entries
from paperwire.papers.models import Author, Paper
from paperwire.papers.records import AuthorRecord
from paperwire.search.fts_sql import _AUTHORS_OF, FTS_TABLE, SUSPEND_TABLE

pytestmark = pytest.mark.django_db(transaction=True)


def entry(n: int, authors: list[str], title: str | None = None) -> ArxivEntry:
    stamp = dt.datetime(2024, 1, 2, 12, tzinfo=dt.UTC)
    return ArxivEntry(
        arxiv_id=f"2401.{n:05d}",
        title=title or f"Paper number {n} on retrieval",
        abstract=f"Abstract {n}: we study $x^{n}$ in detail.",
        authors=[AuthorRecord(a, "") for a in authors],
        categories=["cs.CL"],
        primary_category="cs.CL",
        versions=[{"version": 1, "date": "2024-01-02T12:00:00Z"}],
        latest_version=1,
        published=stamp,
        updated=stamp,
        feed_date=stamp.date(),
    )


def index_rows() -> list[tuple[int, str, str, str]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT rowid, title, abstract, authors FROM {FTS_TABLE} ORDER BY rowid")
        return [tuple(r) for r in cur.fetchall()]


def rebuilt_rows() -> list[tuple[int, str, str, str]]:
    """What the triggers (and `reindex`) write for every stored paper."""
    authors = _AUTHORS_OF.format(pid="p.id")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.id, p.title, p.abstract, {authors} FROM papers_paper p ORDER BY p.id"
        )
        return [tuple(r) for r in cur.fetchall()]


def suspended() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {SUSPEND_TABLE}")
        return int(cur.fetchone()[0])


def test_bulk_insert_writes_the_same_index_rows_as_the_triggers() -> None:
    # A paper written the ordinary way (triggers), sharing an author with the batch.
    Paper.objects.create(public_id="pwold", title="An older paper", abstract="Old.")
    with transaction.atomic():
        store_entries([entry(1, ["Ada Lovelace", "Alan Turing"]), entry(2, []),
                       entry(3, ["Alan Turing", "Grace Hopper", "Ada Lovelace"])])  # fmt: skip
    assert Paper.objects.count() == 4
    assert index_rows() == rebuilt_rows()
    assert [r[3] for r in index_rows()][1:] == [
        "Ada Lovelace, Alan Turing",
        "",
        "Alan Turing, Grace Hopper, Ada Lovelace",
    ]
    assert suspended() == 0
    # Updates and author renames still go through the triggers.
    with transaction.atomic():
        store_entries([entry(1, ["Alan Turing"], title="Paper one, retitled")])
    Author.objects.filter(name="Grace Hopper").update(name="Grace B. Hopper")
    assert index_rows() == rebuilt_rows()
    assert "Grace B. Hopper" in index_rows()[3][3]


def test_a_failed_batch_leaves_the_triggers_following_writes() -> None:
    Paper.objects.create(public_id="pwold", title="An older paper", abstract="Old.")
    next_id = Paper.objects.get().pk + 1
    # A stray index row where the batch's first paper will go: the batch's own index
    # insert fails after the triggers were suspended.
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors) "
                    "VALUES (%s, 'stray', '', '')", [next_id])  # fmt: skip
    with pytest.raises(Exception, match="constraint"), transaction.atomic():
        store_entries([entry(4, ["Alan Turing"]), entry(5, ["Ada Lovelace"])])
    assert Paper.objects.count() == 1
    assert suspended() == 0
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [next_id])
    Paper.objects.create(public_id="pwnew", title="Written after the failure", abstract="A.")
    assert index_rows() == rebuilt_rows()
    assert len(index_rows()) == 2
