"""Keyword ranking on SQLite: FTS5 BM25 with title weighted above abstract above authors.

Filters (author:, cat:, org:, dates) are an `IN (subquery)` of papers (filters.py). In a
large index an OR query is bounded (plan.py) by this index's own size and word counts.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from paperwire.search.filters import filter_sql
from paperwire.search.fts_sql import FTS_TABLE
from paperwire.search.fusion import Ranked
from paperwire.search.plan import IndexStats, plan_or_query, query_terms
from paperwire.search.query import ParsedQuery, fts_match

# bm25() column weights, in the FTS table's column order. Title 10 / abstract 3 (until
# issue 19) ranked below plain one-field BM25 on SciFact and CISI: a heavy title weight
# saturates BM25's term frequency on two title words and puts short titles first. Near
# one field (title a little above the abstract) ranks above plain BM25 on both and
# higher on bench/eval_queries.jsonl too (docs/benchmarks.md, "Relevance"). Authors stay
# at a third of the abstract, as before: a name is not what a paper is about.
WEIGHTS = {"title": 1.5, "abstract": 1.0, "authors": 0.3}


def bm25_sql(weights: dict[str, float] | None = None) -> str:
    w = weights or WEIGHTS
    return f"bm25({FTS_TABLE}, {w['title']}, {w['abstract']}, {w['authors']})"


def _newest(conn: BaseDatabaseWrapper) -> int:
    with conn.cursor() as cur:
        cur.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")  # noqa: S608
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _probe(conn: BaseDatabaseWrapper, term: str, low: int, cap: int) -> int:
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND rowid > %s LIMIT %s)",
            ['"' + term.replace('"', '""') + '"', low, cap],
        )
        return int(cur.fetchone()[0])


# This process's statistics of the FTS5 index, shared by its connections.
STATS = IndexStats(_newest, _probe)


def keyword_search(
    conn: BaseDatabaseWrapper, q: ParsedQuery, limit: int, mode: str, count: bool
) -> tuple[Ranked, int]:
    """((ids, scores), number of matches). Scores are -bm25: higher is better."""
    low = None
    common = False
    if mode == "or":
        q, mode, low = plan_or_query(q, STATS, conn)
        common = mode == "and"
    match = fts_match(q, mode)
    if match is None:
        return ([], []), 0
    where, params = filter_sql(q, "rowid")
    if common and low is not None:
        return _rank_common(conn, q, match, low, limit, where, params)
    if low is not None:
        # Only the newest papers: FTS5 seeks its doclists to this rowid, so the work is
        # bounded by the window, not by how common the words are.
        where += " AND rowid > %s"
        params.append(low)
    bm25 = bm25_sql()
    # Table and weights are constants; the match expression and filters are parameters.
    sql = (
        f"SELECT rowid, -{bm25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} "  # noqa: S608
        f"ORDER BY {bm25} LIMIT %s"
    )
    try:
        with conn.cursor() as cur:
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
    conn: BaseDatabaseWrapper,
    q: ParsedQuery,
    match: str,
    low: int,
    limit: int,
    where: str,
    params: list[Any],
) -> tuple[Ranked, int]:
    """Papers with the (common) words required, among the newest; title matches first.

    Not BM25: bm25() counts the papers holding each word by reading the word's
    whole doclist, hundreds of milliseconds for common words in a million papers,
    and with every word common it would barely tell the matches apart. Scores are
    2 (every word in the title) or 1, newest first within each.
    """
    terms = query_terms(q)
    in_title = "title : (" + " AND ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"
    base = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where} AND rowid > %s"  # noqa: S608
    try:
        with conn.cursor() as cur:
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


def excluded_ids_sql(q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL for papers an exclusion removes (used when there is no text to MATCH)."""
    if not q.excluded:
        return "", []
    expr = " OR ".join('"' + e.replace('"', '""') + '"' for e in q.excluded)
    return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expr]  # noqa: S608
