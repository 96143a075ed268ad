"""Writing papers: the idempotent upsert every source goes through, and the data version."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from paperwire.papers.ids import hub_id, short_id, title_key
from paperwire.papers.models import (
    Author,
    DataVersion,
    FeedEntry,
    Organization,
    Paper,
    PaperAuthor,
)
from paperwire.papers.records import PaperRecord, to_millis


def find_paper(rec: PaperRecord) -> Paper | None:
    """The stored paper a record describes: by arXiv id, else public id, else title."""
    if rec.arxiv_id:
        found = Paper.objects.filter(arxiv_id=rec.arxiv_id).first()
        if found:
            return found
    if rec.public_id:
        found = Paper.objects.filter(public_id=rec.public_id).first()
        if found:
            return found
    candidates = Paper.objects.filter(title_key=title_key(rec.title))
    if rec.arxiv_id:
        # Same title but another arXiv id is another paper.
        candidates = candidates.filter(arxiv_id__isnull=True)
    return candidates.order_by("pk").first()


class Upserted(NamedTuple):
    paper: Paper
    created: bool
    changed: bool  # anything stored differs from before (always True when created)


def upsert_paper(rec: PaperRecord) -> Upserted:
    """Create or update the paper of a record.

    Fields the record does not give are left as stored, so re-importing a
    file, or a thinner file about the same papers, never loses anything; only
    what really differs is written.
    """
    with transaction.atomic():
        paper = find_paper(rec)
        created = paper is None
        if paper is None:
            paper = Paper(public_id=rec.public_id or rec.arxiv_id or short_id(rec.title))
        before = _snapshot(paper)
        org_changed = _apply_fields(paper, rec)
        paper_changed = created or _snapshot(paper) != before
        if paper_changed:
            paper.save()
        authors_changed = rec.authors is not None and _set_authors(paper, rec)
        entry_changed = _upsert_feed_entry(paper, rec)
    return Upserted(
        paper, created, paper_changed or org_changed or authors_changed or entry_changed
    )


def _apply_fields(paper: Paper, rec: PaperRecord) -> bool:
    """Set the record's fields on the paper; True when its organization row changed."""
    paper.title = rec.title
    paper.title_key = title_key(rec.title)
    if rec.arxiv_id:
        paper.arxiv_id = rec.arxiv_id
        paper.public_id = rec.arxiv_id
    simple: dict[str, Any] = {
        "abstract": rec.abstract,
        "published_at": rec.published_at,
        "updated_at": rec.updated_at,
        "categories": rec.categories,
        "primary_category": rec.primary_category,
        "versions": rec.versions,
        "num_authors": len(rec.authors) if rec.authors else rec.num_authors,
        "github_stars": rec.github_stars,
        "media_urls": rec.media_urls,
        "ai_keywords": rec.ai_keywords,
        "withdrawn_at": rec.withdrawn_at,
        **rec.text_fields,
    }
    for name, value in simple.items():
        if value is not None:
            setattr(paper, name, value)
    if paper.pk is not None and paper.hub_discussion_id == hub_id("discussion", paper.pk):
        paper.hub_discussion_id = ""  # our own id for this paper's thread, read back
    if rec.organization is not None:
        org, _ = Organization.objects.get_or_create(name=rec.organization.name)
        changed = False
        for attr in ("fullname", "avatar"):
            value = getattr(rec.organization, attr)
            if value and getattr(org, attr) != value:
                setattr(org, attr, value)
                changed = True
        if changed:
            org.save()
        paper.organization = org
        return changed
    return False


def _set_authors(paper: Paper, rec: PaperRecord) -> bool:
    assert rec.authors is not None
    wanted = [(a.name, a.affiliation) for a in rec.authors]
    current = [
        (pa.author.name, pa.affiliation) for pa in paper.paper_authors.select_related("author")
    ]
    if wanted == current:
        return False
    paper.paper_authors.all().delete()
    names = {name for name, _ in wanted}
    existing = {a.name: a for a in Author.objects.filter(name__in=names)}
    missing = [Author(name=n) for n in names if n not in existing]
    Author.objects.bulk_create(missing, ignore_conflicts=True)
    existing = {a.name: a for a in Author.objects.filter(name__in=names)}
    PaperAuthor.objects.bulk_create(
        PaperAuthor(paper=paper, author=existing[name], position=i, affiliation=aff)
        for i, (name, aff) in enumerate(wanted)
    )
    return True


def _upsert_feed_entry(paper: Paper, rec: PaperRecord) -> bool:
    entry = FeedEntry.objects.filter(paper=paper).first()
    if entry is None:
        # A paper new to the feed with no date of its own was submitted now.
        submitted = rec.submitted_at
        if submitted is None:
            submitted = (
                dt.datetime.combine(rec.feed_date, dt.time(), tzinfo=dt.UTC)
                if rec.feed_date
                else to_millis(timezone.now())
            )
        entry = FeedEntry(
            paper=paper, feed_date=rec.feed_date or submitted.date(), submitted_at=submitted
        )
    before = _snapshot(entry)
    updates = {
        "feed_date": rec.feed_date,
        "submitted_at": rec.submitted_at,
        "listed_at": rec.listed_at,
        "submitter_name": rec.submitter_name,
        "submitter_fullname": rec.submitter_fullname,
        "submitter_avatar": rec.submitter_avatar,
        "upvotes": rec.upvotes,
        "num_comments": rec.num_comments,
    }
    for name, value in updates.items():
        if value is not None:
            setattr(entry, name, value)
    if entry.pk is None or _snapshot(entry) != before:
        entry.save()
        return True
    return False


def _snapshot(obj: Paper | FeedEntry) -> tuple[Any, ...]:
    """The stored fields' values, to save only what an update really changed."""
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.name != "modified")


def bump_data_version() -> int:
    """Mark feed data as changed, so cached pages of every process are renewed."""
    now = timezone.now()
    updated = DataVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now)
    if not updated:
        _, created = DataVersion.objects.get_or_create(
            pk=1, defaults={"version": 1, "changed_at": now}
        )
        if not created:  # another process made the row first: still count this change
            DataVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now)
    return current_data_version()[0]


def current_data_version() -> tuple[int, dt.datetime | None]:
    row = DataVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)
