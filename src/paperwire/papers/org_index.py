"""The organizations index: every organization with a visible paper, with its counts.

One query answers a page of it: the counts are aggregates over the organization's papers
(and their feed entries, one per paper at most, so no row is counted twice), grouped by
organization, never a query per organization.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from paperwire.papers.backends import database
from paperwire.papers.models import Organization

# What "active" means for the default order: papers published, or brought into the
# feed, in the last this many days.
RECENT_DAYS = 30
# Longer than any handle (100) or full name (200) could match.
MAX_FILTER = 200

# ?sort= values, as the page's tabs name them.
SORTS = {"activity": "Activity", "papers": "Papers", "upvotes": "Upvotes", "name": "Name"}
DEFAULT_SORT = "activity"

_LATEST = F("latest").desc(nulls_last=True)
_ORDER = {
    "activity": ("-recent_count", "-paper_count", _LATEST, "sort_name", "name"),
    "papers": ("-paper_count", "-upvote_total", "sort_name", "name"),
    "upvotes": ("-upvote_total", "-paper_count", "sort_name", "name"),
    "name": ("sort_name", "name"),
}


class BadIndexQuery(ValueError):
    """?sort= or ?q= the index cannot answer: a 400 with this message."""


def check_sort(raw: str) -> str:
    sort = raw or DEFAULT_SORT
    if sort not in SORTS:
        raise BadIndexQuery(f"sort must be one of: {', '.join(SORTS)} (activity when absent).")
    return sort


def check_filter(raw: str) -> str:
    text = raw.strip()
    if len(text) > MAX_FILTER:
        raise BadIndexQuery(f"q must be at most {MAX_FILTER} characters.")
    return text


def organization_index(
    text: str = "", sort: str = DEFAULT_SORT, now: dt.datetime | None = None
) -> QuerySet[Organization]:
    """Organizations with at least one visible paper, each annotated with paper_count,
    recent_count (papers of the last RECENT_DAYS), upvote_total and latest (the newest
    paper's publication date, or its feed date when it has none); ``text`` keeps those
    whose handle or full name contains it in any case, on every database ("ü" finds
    "Über")."""
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    visible = Q(papers__hidden=False)
    recent = Q(papers__published_at__gte=since) | Q(papers__feed_entry__submitted_at__gte=since)
    orgs = Organization.objects.annotate(
        paper_count=Count("papers", filter=visible),
        recent_count=Count("papers", filter=visible & recent),
        upvote_total=Coalesce(Sum("papers__feed_entry__upvotes", filter=visible), 0),
        latest=Max(
            Coalesce("papers__published_at", "papers__feed_entry__submitted_at"), filter=visible
        ),
        sort_name=Lower(Coalesce(NullIf("fullname", Value("")), "name")),
    ).filter(paper_count__gt=0)
    if text:
        orgs = database().containing_in_any_case(orgs, ("name", "fullname"), text)
    return orgs.order_by(*_ORDER[sort])
