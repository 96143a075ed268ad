"""Keyword ranking: SQLite FTS5 BM25 with title weighted above abstract above authors.

Filters (author:, cat:, org:, dates) are a Django queryset of papers, used as an
`IN (subquery)` so the same filter code serves keyword, dense and listing paths.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
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
    q: ParsedQuery, limit: int = MAX_MATCHES, mode: str = "or", count: bool = True
) -> tuple[Ranked, int]:
    """((ids, scores), number of matches). Scores are -bm25: higher is better.

    mode "or" ranks papers with any of the words; "and" requires all of them.
    With count=False (hybrid search, which shows its own count) no second query
    counts matches past `limit`. In a large index an OR query reads a bounded number
    of matches (see _plan): the total is then what was read.
    """
    if connection.vendor == "postgresql":
        from paperwire.search import pg_search

        return pg_search.keyword_search(q, limit, mode, count)
    if not fts_available():
        return _fallback_search(q, limit) if fts_match(q) else (([], []), 0)
    low = None
    common = False
    if mode == "or":
        q, mode, low = _plan(q)
        common = mode == "and"
    match = fts_match(q, mode)
    if match is None:
        return ([], []), 0
    where, params = _filter_sql(q, "rowid")
    if common and low is not None:
        return _rank_common(q, match, low, limit, where, params)
    if low is not None:
        # Only the newest papers: FTS5 seeks its doclists to this rowid, so the work is
        # bounded by the window, not by how common the words are.
        where += " AND rowid > %s"
        params.append(low)
    # Table and weights are constants; the match expression and filters are parameters.
    sql = (
        f"SELECT rowid, -{_BM25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} "  # noqa: S608
        f"ORDER BY {_BM25} LIMIT %s"
    )
    try:
        with connection.cursor() as cur:
            cur.execute(sql, [match, *params, limit])
            rows = cur.fetchall()
            if len(rows) < limit or not count or low is not None:
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


def _rank_common(
    q: ParsedQuery, match: str, low: int, limit: int, where: str, params: list[Any]
) -> tuple[Ranked, int]:
    """Papers with the (common) words required, among the newest; title matches first.

    Not BM25: bm25() counts the papers holding each word by reading the word's
    whole doclist, hundreds of milliseconds for common words in a million papers,
    and with every word common it would barely tell the matches apart. Scores are
    2 (every word in the title) or 1, newest first within each.
    """
    terms = [t for t in dict.fromkeys(t.lower() for t in q.terms) if t not in STOPWORDS]
    in_title = "title : (" + " AND ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"
    base = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} AND rowid > %s"  # noqa: S608
    try:
        with connection.cursor() as cur:
            cur.execute(base + " ORDER BY rowid DESC LIMIT %s", [match, *params, low, limit])
            ids = [int(r[0]) for r in cur.fetchall()]
            titled: set[int] = set()
            if ids and terms:
                cur.execute(base, [in_title, *params, low])
                titled = {int(r[0]) for r in cur.fetchall()}
    except DatabaseError:
        return ([], []), 0
    ids.sort(key=lambda i: i not in titled)
    return (ids, [2.0 if i in titled else 1.0 for i in ids]), len(ids)


# A word in more papers than this is "common" in a large index (see _plan).
COMMON_DOCS = 5000
# BM25 scores at most about this many matches per query in a large index: scoring
# reads every match's positions, a few microseconds each.
SCORE_BUDGET = 1000
# Papers (newest first) an AND of common words reads, and how many words it requires.
RECENT_WINDOW = 20_000
REQUIRED_MAX = 3
_size_cache: dict[str, float] = {"n": 0.0, "at": -1e9}


def _index_size() -> int:
    now = time.monotonic()
    if now - _size_cache["at"] > 60:
        with connection.cursor() as cur:
            cur.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")  # noqa: S608
            row = cur.fetchone()
        _size_cache.update(n=float(row[0] if row else 0), at=now)
    return int(_size_cache["n"])


def _plan(
    q: ParsedQuery,
    index_size: Callable[[], int] | None = None,
    doc_count: Callable[[str], int] | None = None,
) -> tuple[ParsedQuery, str, int | None]:
    """(query, "or"/"and", lowest rowid to read or None) for an OR query.

    BM25 must score every paper matching any word, so common words make a query
    over a million papers slow while adding almost nothing to the ranking (their
    IDF is near zero); the dense ranker still reads the whole query. In an index of
    more than 4 x COMMON_DOCS papers:
    - words in more than COMMON_DOCS papers are dropped when rarer words remain;
    - when every word is that common, the REQUIRED_MAX longest are required, among
      the newest RECENT_WINDOW papers (see _rank_common);
    - when the words kept still match more than SCORE_BUDGET papers, only the
      newest papers are read: a rowid window holding about SCORE_BUDGET matches.
    Each word's paper count is probed once (reading at most COMMON_DOCS row ids)
    and cached. Small indexes are left alone. PostgreSQL plans the same way with its
    own `index_size` (highest paper id) and `doc_count` (pg_search.py).
    """
    terms = [t for t in dict.fromkeys(t.lower() for t in q.terms) if t not in STOPWORDS]
    size = (index_size or _index_size)()
    if not terms or size <= 4 * COMMON_DOCS:
        return q, "or", None
    count = doc_count or _doc_count
    docs = {t: count(t) for t in terms}
    rare = [t for t in terms if docs[t] < COMMON_DOCS]
    if rare:
        mode = "or"
        expected = sum(docs[t] for t in rare)
        if len(rare) < len(terms):
            q = replace(q, terms=rare)
    elif q.phrases:
        return q, "and", None
    else:
        # Every word common: their doclists are long, and intersecting them costs
        # about as much per word as the whole window: the REQUIRED_MAX longest words
        # (the likeliest to be rare) are required, among the newest RECENT_WINDOW papers.
        longest = sorted(terms, key=lambda t: -len(t))[:REQUIRED_MAX]
        return (
            replace(q, terms=[t for t in terms if t in longest]),
            "and",
            max(0, size - RECENT_WINDOW),
        )
    if q.phrases or expected <= SCORE_BUDGET:
        return q, mode, None
    window = max(SCORE_BUDGET, int(size * SCORE_BUDGET / expected))
    return q, mode, size - window


# term -> (papers holding it, capped at COMMON_DOCS; when probed). A word's count
# moves slowly, so a process trusts a probe for COMMON_TTL seconds; a stale count
# only changes which words the keyword query keeps, never correctness.
_doc_cache: dict[str, tuple[int, float]] = {}
COMMON_TTL = 600.0
COMMON_CACHE_MAX = 50_000
# A word's paper count is estimated from this many of the newest papers.
PROBE_WINDOW = 50_000


def reset_caches() -> None:
    from paperwire.search import pg_search

    _doc_cache.clear()
    _size_cache["at"] = -1e9
    pg_search.reset_caches()


def _doc_count(term: str) -> int:
    """About how many papers hold the word, up to COMMON_DOCS.

    Counted among the newest PROBE_WINDOW papers and scaled to the whole index, so
    a probe reads at most about COMMON_DOCS x PROBE_WINDOW / size row ids.
    """
    now = time.monotonic()
    hit = _doc_cache.get(term)
    if hit is not None and now - hit[1] < COMMON_TTL:
        return hit[0]
    size = max(_index_size(), 1)
    window = min(size, PROBE_WINDOW)
    cap = -(-COMMON_DOCS * window // size)  # ceil
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND rowid > %s LIMIT %s)",
            ['"' + term.replace('"', '""') + '"', size - window, cap],
        )
        seen = int(cur.fetchone()[0])
    n = COMMON_DOCS if seen >= cap else min(COMMON_DOCS - 1, seen * size // window)
    if len(_doc_cache) >= COMMON_CACHE_MAX:
        _doc_cache.clear()
    _doc_cache[term] = (n, now)
    return n


def excluded_ids_sql(q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL for papers an exclusion removes (used when there is no text to MATCH)."""
    if connection.vendor == "postgresql":
        from paperwire.search import pg_search

        return pg_search.excluded_ids_sql(q)
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

    if connection.vendor == "postgresql":
        from paperwire.search import pg_search

        return pg_search.reindex()
    if not fts_available():
        return 0
    with connection.cursor() as cur:
        for sql in [*CREATE, *TRIGGERS, *REBUILD]:
            cur.execute(sql)
        cur.execute(f"SELECT count(*) FROM {FTS_TABLE}")  # noqa: S608
        return int(cur.fetchone()[0])
