"""Keyword ranking: SQLite FTS5 BM25 with title weighted above abstract above authors.

Filters (author:, cat:, org:, dates) are a Django queryset of papers, used as an
`IN (subquery)` so the same filter code serves keyword, dense and listing paths.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Q, QuerySet

from paperwire.papers.models import Paper
from paperwire.search.fts_sql import FTS_TABLE
from paperwire.search.fusion import Ranked
from paperwire.search.query import STOPWORDS, ParsedQuery, fts_match

# bm25() column weights, in the FTS table's column order.
WEIGHTS = {"title": 10.0, "abstract": 3.0, "authors": 1.0}
_BM25 = f"bm25({FTS_TABLE}, {WEIGHTS['title']}, {WEIGHTS['abstract']}, {WEIGHTS['authors']})"
# The most keyword matches one query ranks (the page only ever shows a few).
MAX_MATCHES = 1000


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


def _day(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC)


def fts_available() -> bool:
    return connection.vendor == "sqlite"


def _filter_sql(q: ParsedQuery, column: str) -> tuple[str, list[Any]]:
    qs = filtered_papers(q)
    if qs is None:
        return "", []
    sql, params = qs.values("id").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def keyword_search(
    q: ParsedQuery, limit: int = MAX_MATCHES, mode: str = "or"
) -> tuple[Ranked, int]:
    """((ids, scores), number of matches). Scores are -bm25: higher is better.

    mode "or" ranks papers with any of the words; "and" requires all of them.
    """
    if not fts_available():
        return _fallback_search(q, limit) if fts_match(q) else (([], []), 0)
    newest_only = False
    if mode == "or":
        q, mode = _without_common_terms(q)
        newest_only = mode == "and"
    match = fts_match(q, mode)
    if match is None:
        return ([], []), 0
    if newest_only:
        return _rank_newest(q, match, limit)
    where, params = _filter_sql(q, "rowid")
    # Table and weights are constants; the match expression and filters are parameters.
    sql = (
        f"SELECT rowid, -{_BM25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} "  # noqa: S608
        f"ORDER BY {_BM25} LIMIT %s"
    )
    try:
        with connection.cursor() as cur:
            cur.execute(sql, [match, *params, limit])
            rows = cur.fetchall()
            if len(rows) < limit:
                total = len(rows)
            else:
                cur.execute(
                    f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where}",  # noqa: S608
                    [match, *params],
                )
                total = cur.fetchone()[0]
    except DatabaseError:
        # The expression is built from quoted strings only, so this is not expected;
        # a search box must still never fail.
        return ([], []), 0
    return ([int(r[0]) for r in rows], [float(r[1]) for r in rows]), total


# A word in more papers than this is "common" in a large index (see _without_common_terms).
COMMON_DOCS = 5000
_size_cache: dict[str, float] = {"n": 0.0, "at": -1e9}


def _index_size() -> int:
    now = time.monotonic()
    if now - _size_cache["at"] > 60:
        with connection.cursor() as cur:
            cur.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")  # noqa: S608
            row = cur.fetchone()
        _size_cache.update(n=float(row[0] if row else 0), at=now)
    return int(_size_cache["n"])


def _without_common_terms(q: ParsedQuery) -> tuple[ParsedQuery, str]:
    """Drop words found in very many papers from an OR query, when rarer words remain.

    BM25 must score every paper matching any word, so one common word ("models")
    makes a query over a million papers slow while adding almost nothing to the
    ranking (its IDF is near zero); the dense ranker still reads the whole query.
    Each probe reads at most COMMON_DOCS row ids. When every word is common, all
    are required instead. Small indexes are left alone.
    """
    terms = [t for t in dict.fromkeys(t.lower() for t in q.terms) if t not in STOPWORDS]
    if len(terms) < 2 or _index_size() <= 4 * COMMON_DOCS:
        return q, "or"
    rare = [t for t in terms if not _is_common(t)]
    if len(rare) == len(terms):
        return q, "or"
    if rare:
        return replace(q, terms=rare), "or"
    return q, "and"


# term -> (is common, when probed). A word's document count moves slowly, so a
# process trusts a probe for COMMON_TTL seconds; a stale answer only changes which
# words the keyword query keeps, never correctness.
_common_cache: dict[str, tuple[bool, float]] = {}
COMMON_TTL = 600.0
COMMON_CACHE_MAX = 50_000


def reset_caches() -> None:
    _common_cache.clear()
    _size_cache["at"] = -1e9


def _is_common(term: str) -> bool:
    """Whether more than COMMON_DOCS papers hold the word (reads at most that many ids)."""
    now = time.monotonic()
    hit = _common_cache.get(term)
    if hit is not None and now - hit[1] < COMMON_TTL:
        return hit[0]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            ['"' + term.replace('"', '""') + '"', COMMON_DOCS],
        )
        common = cur.fetchone()[0] >= COMMON_DOCS
    if len(_common_cache) >= COMMON_CACHE_MAX:
        _common_cache.clear()
    _common_cache[term] = (common, now)
    return common


def _rank_newest(q: ParsedQuery, match: str, limit: int) -> tuple[Ranked, int]:
    """BM25 over the COMMON_DOCS most recently added matches only (every word common).

    Reading matches in rowid order stops after COMMON_DOCS rows, where ORDER BY
    bm25 would score all of them; the newest papers are the likeliest wanted.
    """
    where, params = _filter_sql(q, "rowid")
    sql = (
        f"SELECT rowid, -{_BM25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} "  # noqa: S608
        "ORDER BY rowid DESC LIMIT %s"
    )
    try:
        with connection.cursor() as cur:
            cur.execute(sql, [match, *params, COMMON_DOCS])
            rows = sorted(cur.fetchall(), key=lambda r: -r[1])
    except DatabaseError:
        return ([], []), 0
    top = rows[:limit]
    return ([int(r[0]) for r in top], [float(r[1]) for r in top]), len(rows)


def excluded_ids_sql(q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL for papers an exclusion removes (used when there is no text to MATCH)."""
    if not q.excluded or not fts_available():
        return "", []
    expr = " OR ".join('"' + e.replace('"', '""') + '"' for e in q.excluded)
    return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expr]  # noqa: S608


def _fallback_search(q: ParsedQuery, limit: int) -> tuple[Ranked, int]:
    """Without FTS5 (PostgreSQL for now): substring matches, title hits first."""
    words = [*q.terms, *q.phrases]
    cond = Q()
    score_title = Q()
    for w in words:
        cond |= Q(title__icontains=w) | Q(abstract__icontains=w)
        score_title |= Q(title__icontains=w)
    qs = Paper.objects.filter(cond)
    for ex in q.excluded:
        qs = qs.exclude(Q(title__icontains=ex) | Q(abstract__icontains=ex))
    allowed = filtered_papers(q)
    if allowed is not None:
        qs = qs.filter(pk__in=allowed.values("id"))
    title_ids = set(qs.filter(score_title).values_list("pk", flat=True)[:limit])
    ids = list(qs.order_by("-published_at").values_list("pk", flat=True)[:limit])
    ids.sort(key=lambda i: i not in title_ids)
    scores = [2.0 if i in title_ids else 1.0 for i in ids]
    return (ids, scores), qs.count()


def reindex() -> int:
    """Rebuild the FTS index from the papers (after a restore or raw imports)."""
    from paperwire.search.fts_sql import CREATE, REBUILD, TRIGGERS

    if not fts_available():
        return 0
    with connection.cursor() as cur:
        for sql in [*CREATE, *TRIGGERS, *REBUILD]:
            cur.execute(sql)
        cur.execute(f"SELECT count(*) FROM {FTS_TABLE}")  # noqa: S608
        return int(cur.fetchone()[0])
