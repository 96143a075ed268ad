"""Storing a page of arXiv entries in a few queries.

The same rules as papers.store.upsert_paper (match by arXiv id, then public id, never
by title: every entry has an id, and two records with different ids are different
papers; fields a source does not give are left alone),
done for a whole page at once, plus what only arXiv data has: versions merged into
a history, and an older version never overwriting a newer one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.sqltext import Ready, numbered_in_order
from paperwire.ingest.sqlwrite import (
    allocate_paper_ids,
    author_ids,
    insert_authors,
    insert_feed_entries,
    insert_paper_authors,
    insert_papers,
    new_paper,
    stored_text_usable,
)
from paperwire.papers.ids import title_key
from paperwire.papers.indexing import NewPaperText, deferred_indexing
from paperwire.papers.models import FeedEntry, Paper, PaperAuthor
from paperwire.papers.tex import search_text

CHUNK = 500
PAPER_FIELDS = ["public_id", "arxiv_id", "title", "title_key", "abstract", "search_title",
                "search_abstract", "published_at", "updated_at", "primary_category",
                "categories", "versions", "comments", "journal_ref", "doi", "license",
                "num_authors"]  # fmt: skip


@dataclass
class StoreStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    feed_entries: int = 0

    def add(self, other: StoreStats) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.feed_entries += other.feed_entries


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def store_entries(entries: Iterable[ArxivEntry]) -> StoreStats:
    """Create or update the papers of `entries`. Call inside a transaction."""
    by_id: dict[str, ArxivEntry] = {}
    for entry in entries:
        by_id[entry.arxiv_id] = entry  # the later record of a page is the newer one
    stats = StoreStats()
    if not by_id:
        return stats
    keys = {
        i: e.prepared.title_key if e.prepared is not None else title_key(e.title)
        for i, e in by_id.items()
    }
    ready = stored_text_usable()
    found = _find_papers(by_id)
    known_pks = [p.pk for p in found.values()]
    stored_authors: dict[int, list[tuple[str, str]]] = {}
    with_feed: set[int] = set()
    for chunk in _chunks(known_pks):
        rows = (
            PaperAuthor.objects.filter(paper_id__in=chunk)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__name", "affiliation")
        )
        for paper_id, name, affiliation in rows:
            stored_authors.setdefault(paper_id, []).append((name, affiliation))
        with_feed.update(
            FeedEntry.objects.filter(paper_id__in=chunk).values_list("paper_id", flat=True)
        )

    now = timezone.now()
    to_create: list[Any] = []  # NewPaper rows
    to_update: list[Paper] = []
    new_bylines: list[tuple[Any, list[tuple[str, str]], bool]] = []
    feed_for: list[tuple[Any, ArxivEntry]] = []
    for arxiv_id, entry in by_id.items():
        known = found.get(arxiv_id)
        created = known is None
        if known is None:
            paper = _new_from(entry, keys[arxiv_id], ready=ready)
            changed = True
        else:
            paper = known
            changed = apply_entry(paper, entry, created=False, key=keys[arxiv_id])
        byline = _byline(entry, stored_authors.get(paper.pk or -1, []))
        if created:
            to_create.append(paper)
            stats.created += 1
        elif changed:
            paper.modified = now
            to_update.append(paper)
        if entry.authors and byline != stored_authors.get(paper.pk or -1, []):
            new_bylines.append((paper, byline, created))
            changed = True
        if not created:
            if changed:
                stats.updated += 1
            else:
                stats.unchanged += 1
        if entry.feed_date is not None and (created or paper.pk not in with_feed):
            feed_for.append((paper, entry))

    if to_create:
        _insert_new(to_create, {id(b[0]): b[1] for b in new_bylines if b[2]})
    new_bylines = [b for b in new_bylines if not b[2]]
    if to_update:
        Paper.objects.bulk_update(to_update, [*PAPER_FIELDS, "modified"], batch_size=100)
    _store_bylines(new_bylines)
    stats.feed_entries = _add_feed_entries(feed_for, ready=ready)
    return stats


def _insert_new(papers: list[Any], bylines: dict[int, list[tuple[str, str]]]) -> None:
    """Write new papers and their bylines (keyed by id() of the paper). The search index
    gets each one's text once, in one batch, instead of through per-row triggers. On
    SQLite their ids are known before they are written, so bylines go first (the
    foreign key is checked at commit)."""
    rows = [(p, bylines.get(id(p), []), True) for p in papers]
    with deferred_indexing() as index:
        if allocate_paper_ids(papers):
            _store_bylines(rows)
            insert_papers(papers, with_ids=True)
        else:
            insert_papers(papers)
            _store_bylines(rows)
        index.papers = [
            NewPaperText(
                p.pk,
                p.title if p.search_title is None else p.search_title,
                p.abstract if p.search_abstract is None else p.search_abstract,
                [n for n, _ in byline],
            )
            for p, byline, _ in rows
        ]


def _find_papers(by_id: dict[str, ArxivEntry]) -> dict[str, Paper]:
    """Stored papers by the arXiv id of the entry they match (as papers.store.find_paper:
    arXiv id, else public id; a stored paper with the same title but another id, or none,
    is another paper)."""
    ids = list(by_id)
    table = connection.ops.quote_name(Paper._meta.db_table)
    pks: dict[str, int] = {}
    # Plain SQL: the ORM's per-value preparation of 2,000-item IN lists costs more here.
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT id, arxiv_id, public_id FROM {table} "  # noqa: S608 - fixed names
                f"WHERE arxiv_id IN ({marks}) OR public_id IN ({marks})",
                [*chunk, *chunk],
            )
            for pk, arxiv_id, public_id in cursor.fetchall():
                key = arxiv_id if arxiv_id in by_id else public_id
                pks.setdefault(key, pk)
    if not pks:
        return {}
    papers = {p.pk: p for p in Paper.objects.filter(pk__in=list(pks.values()))}
    return {arxiv_id: papers[pk] for arxiv_id, pk in pks.items() if pk in papers}


def _byline(entry: ArxivEntry, stored: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The entry's authors; a source that gives no affiliations (RSS) keeps stored ones."""
    byline = [(a.name, a.affiliation) for a in entry.authors]
    if [n for n, _ in byline] == [n for n, _ in stored]:
        byline = [(n, aff or old) for (n, aff), (_, old) in zip(byline, stored, strict=True)]
    return byline


def _new_from(entry: ArxivEntry, key: str, *, ready: bool = False) -> Any:
    """A new paper from an entry: what apply_entry(created=True) sets, without comparing
    anything (thousands a second on a harvest of new papers). With `ready` (the database
    stores sqltext's forms), the values the parse-ahead worker already put in stored form
    are used as they are: the same text the adapters would make here."""
    paper = new_paper()
    done = entry.prepared if ready else None
    if done is not None and done.versions is not None:
        paper.versions = Ready(done.versions)
    else:
        paper.versions = merge_versions([], entry.versions)
    paper.arxiv_id = paper.public_id = entry.arxiv_id
    if entry.published:
        paper.published_at = entry.published
    _set_current(paper, entry, key)
    if done is not None:
        if entry.categories and done.categories is not None:
            paper.categories = Ready(done.categories)
        if entry.published and done.published is not None:
            paper.published_at = Ready(done.published)
        if entry.updated and done.updated is not None:
            paper.updated_at = Ready(done.updated)
    return paper


def _set_current(paper: Any, entry: ArxivEntry, key: str | None) -> None:
    """The fields an entry of the paper's newest version sets (what it leaves empty
    keeps its stored value); key is the title's title_key when already computed. The
    search text of the title and abstract comes made by the parse-ahead worker when it
    parsed the entry."""
    search = entry.prepared.search if entry.prepared is not None else None
    if entry.title:
        paper.title = entry.title
        paper.title_key = key if key is not None else title_key(entry.title)
        paper.search_title = search[0] if search is not None else search_text(entry.title)
    if entry.abstract:
        paper.abstract = entry.abstract
        paper.search_abstract = search[1] if search is not None else search_text(entry.abstract)
    if entry.updated:
        paper.updated_at = entry.updated
    if entry.categories:
        paper.categories = entry.categories
        paper.primary_category = entry.primary_category
    if entry.comments is not None:
        paper.comments = entry.comments
    if entry.journal_ref is not None:
        paper.journal_ref = entry.journal_ref
    if entry.doi is not None:
        paper.doi = entry.doi
    if entry.license is not None:
        paper.license = entry.license
    if entry.authors:
        paper.num_authors = len(entry.authors)


def apply_entry(paper: Any, entry: ArxivEntry, *, created: bool, key: str | None = None) -> bool:
    """Set the paper's fields from an entry; True when anything changed."""
    before = () if created else tuple(getattr(paper, f) for f in PAPER_FIELDS)
    stored_versions = paper.versions if isinstance(paper.versions, list) else []
    stored_latest = _latest(stored_versions)
    incoming_latest = entry.latest_version or _latest(entry.versions)
    # A record of an older version (a late page, a stale mirror) must not undo a newer one.
    older = bool(not created and incoming_latest and stored_latest > incoming_latest)
    versions = merge_versions(stored_versions, entry.versions)
    if not created and incoming_latest and incoming_latest > stored_latest >= 1:
        # A replacement: keep the replaced version's title/abstract where they changed.
        for item in versions:
            if item.get("version") == stored_latest:
                if entry.title and entry.title != paper.title:
                    item.setdefault("title", paper.title)
                if entry.abstract and entry.abstract != paper.abstract:
                    item.setdefault("abstract", paper.abstract)
    paper.versions = versions
    paper.arxiv_id = entry.arxiv_id
    paper.public_id = entry.arxiv_id
    if entry.published and (paper.published_at is None or created or not older):
        paper.published_at = entry.published
    if not older:
        _set_current(paper, entry, key)
    return created or tuple(getattr(paper, f) for f in PAPER_FIELDS) != before


def _latest(versions: list[dict[str, Any]] | list[dict[str, object]]) -> int:
    numbers = [v.get("version") for v in versions]
    return max((n for n in numbers if isinstance(n, int)), default=0)


def merge_versions(
    stored: list[dict[str, Any]], incoming: list[dict[str, object]]
) -> list[dict[str, Any]]:
    """Union of two version histories. Versions match by number, or by day when the
    source gave no number (the arXiv format); the more precise date wins."""
    if not stored and all(isinstance(v.get("version"), int) for v in incoming):
        copies: list[dict[str, Any]] = [dict(v) for v in incoming]
        # Sources list versions in order: then sorting (which is stable) changes nothing.
        if numbered_in_order(copies):
            return copies
        return sorted(copies, key=lambda v: v["version"])
    result = [dict(v) for v in stored if isinstance(v, dict)]
    for item in incoming:
        number = item.get("version")
        date = str(item.get("date") or "")
        match = None
        if isinstance(number, int):
            match = next((v for v in result if v.get("version") == number), None)
        elif date:
            match = next((v for v in result if str(v.get("date") or "")[:10] == date[:10]), None)
        if match is None:
            if not isinstance(number, int):
                number = _latest(result) + 1
            result.append({"version": number, "date": date or None})
        elif date and len(date) > len(str(match.get("date") or "")):
            match["date"] = date
    result.sort(key=lambda v: v["version"] if isinstance(v.get("version"), int) else 0)
    return result


def _store_bylines(bylines: list[tuple[Any, list[tuple[str, str]], bool]]) -> None:
    """Write each paper's (name, affiliation) byline; the bool says the paper is new."""
    if not bylines:
        return
    names = sorted({name for _, byline, _ in bylines for name, _ in byline})
    ids = author_ids(names)
    missing = [n for n in names if n not in ids]
    if missing:
        insert_authors(missing)
        ids.update(author_ids(missing))
    replaced = [paper.pk for paper, _, created in bylines if not created]
    for chunk in _chunks(replaced):
        PaperAuthor.objects.filter(paper_id__in=chunk).delete()
    insert_paper_authors(
        [
            (paper.pk, ids[name], i, aff)
            for paper, byline, _ in bylines
            for i, (name, aff) in enumerate(byline)
        ]
    )


def _add_feed_entries(items: list[tuple[Any, ArxivEntry]], *, ready: bool = False) -> int:
    rows = []
    for paper, entry in items:
        day = entry.feed_date
        assert day is not None
        when = entry.published
        published: dt.datetime | Ready
        # Order within a day by submission time when the source knows it.
        if when is None or when.date() != day:
            published = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        elif ready and entry.prepared is not None and entry.prepared.published is not None:
            published = Ready(entry.prepared.published)  # the same text, made by the worker
        else:
            published = when
        rows.append((paper.pk, day, published))
    insert_feed_entries(rows)
    return len(rows)
