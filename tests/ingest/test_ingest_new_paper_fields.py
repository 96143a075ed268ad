"""A new paper's fields come from `upsert._new_from`, a shortcut of
`apply_entry(created=True)`: both must set exactly the same values."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.sqlwrite import new_paper
from paperwire.ingest.upsert import PAPER_FIELDS, _new_from, apply_entry
from paperwire.papers.ids import title_key
from paperwire.papers.records import AuthorRecord

STAMP = dt.datetime(2024, 1, 2, 12, tzinfo=dt.UTC)


def full() -> ArxivEntry:
    return ArxivEntry(
        arxiv_id="2401.00001",
        title="Sparse Attention",
        abstract="We study it.",
        authors=[AuthorRecord("A. One", "MIT"), AuthorRecord("B. Two")],
        categories=["cs.CL", "cs.LG"],
        primary_category="cs.CL",
        versions=[{"version": 2, "date": "2024-01-03"}, {"version": 1, "date": "2024-01-02"}],
        latest_version=2,
        published=STAMP,
        updated=STAMP + dt.timedelta(days=1),
        comments="12 pages",
        journal_ref="",
        doi="10.1/x",
        license="http://creativecommons.org/licenses/by/4.0/",
    )


def sparse() -> ArxivEntry:
    # Nothing but the id, as a thin source can give; versions of the arXiv format.
    return ArxivEntry(
        arxiv_id="hep-th/9901001",
        title="",
        abstract="",
        authors=[],
        categories=[],
        primary_category="",
        versions=[{"version": 1, "date": "1999-01-01"}, {"version": None, "date": "1999-02-01"}],
    )


@pytest.mark.parametrize("make", [full, sparse])
def test_new_paper_shortcut_sets_what_apply_entry_sets(make: object) -> None:
    entry = make()  # type: ignore[operator]
    key = title_key(entry.title)
    expected = new_paper()
    assert apply_entry(expected, entry, created=True, key=key)
    got = _new_from(make(), key)  # type: ignore[operator]
    fields = [*PAPER_FIELDS, "organization_id", "hidden", "code_url", "project_url"]
    assert {f: getattr(got, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert vars(got) == vars(expected)
