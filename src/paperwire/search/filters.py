"""The papers a query's filters allow (author:, cat:, org:, dates), on every backend.

A Django queryset of papers, used as an `IN (subquery)`, so the same filter code serves
the keyword, dense and listing paths of both databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from paperwire.papers.models import Paper
from paperwire.search.query import ParsedQuery


def filtered_papers(q: ParsedQuery) -> QuerySet[Paper] | None:
    """The papers the query's filters allow, or None when it has no filters."""
    if not q.has_filters:
        return None
    qs = Paper.objects.all()
    for name in q.authors:
        qs = qs.filter(paper_authors__author__name__icontains=name)
    for cat in q.cats:
        # cat:cs matches every cs.* category; cat:cs.CL only that one.
        if "." in cat:
            cond = Q(primary_category__iexact=cat) | Q(categories__icontains=f'"{cat}"')
        else:
            cond = Q(primary_category__istartswith=f"{cat}.") | Q(categories__icontains=f'"{cat}.')
        qs = qs.filter(cond)
    for org in q.orgs:
        qs = qs.filter(Q(organization__name__iexact=org) | Q(organization__fullname__icontains=org))
    if q.year:
        qs = qs.filter(published_at__gte=_day(dt.date(q.year, 1, 1)))
        qs = qs.filter(published_at__lt=_day(dt.date(q.year + 1, 1, 1)))
    if q.after:
        qs = qs.filter(published_at__gte=_day(q.after))
    if q.before:
        qs = qs.filter(published_at__lt=_day(q.before))
    return qs


def filter_sql(q: ParsedQuery, column: str) -> tuple[str, list[Any]]:
    """` AND column IN (the allowed papers)` and its parameters; nothing without filters."""
    qs = filtered_papers(q)
    if qs is None:
        return "", []
    sql, params = qs.values("id").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def _day(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC)
