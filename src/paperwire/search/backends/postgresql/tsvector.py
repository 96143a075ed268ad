"""Keyword ranking on PostgreSQL: the weighted tsvector, each word's ts_rank weighted by
its inverse document frequency.

The same parsed query as on SQLite (query.py), turned into a tsquery without ever
parsing user text as tsquery syntax: every word, phrase and exclusion is a parameter of
`plainto_tsquery` / `phraseto_tsquery`, combined with the tsquery operators `&&`, `||`
and `!!`. Filters are the same SQL as on SQLite (filters.py); a large index bounds an OR
query the same way (plan.py), with this index's own size and word counts.
"""

# Table names and weights are constants of this package; input only reaches parameters.
# ruff: noqa: S608

from __future__ import annotations

import math
import time
from typing import Any

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from paperwire.search.filters import filter_sql
from paperwire.search.fold import fold
from paperwire.search.fusion import Ranked
from paperwire.search.pg_sql import DOC_TABLE, TS_CONFIG
from paperwire.search.plan import IndexStats, plan_or_query
from paperwire.search.query import STOPWORDS, ParsedQuery, words

# ts_rank weights of {D, C, B, A}: authors (C) 0.2, abstract (B) 0.75, title (A) 1, near
# the ratios of SQLite's field weights (1.5 / 1 / 0.3, sqlite/fts.py). The abstract at
# 0.75 rather than 0.67: SciFact keyword-only nDCG@10 0.6886 -> 0.6900 (plain BM25
# 0.6889), hybrid 0.730 -> 0.733; CISI 0.320 / 0.383 -> 0.320 / 0.381 (docs/benchmarks.md,
# "Keyword ranking on PostgreSQL").
# ts_rank, not ts_rank_cd: cover density scores a paper with some of an OR query's
# words far below one with all of them, which lost known-item queries; on
# bench/eval_queries.jsonl ts_rank scored MRR@10 0.96 against ts_rank_cd's 0.86
# (docs/search.md, "PostgreSQL").
RANK_WEIGHTS = "{0.0, 0.2, 0.75, 1.0}"
# 1: divide by 1 + log(document length), so long abstracts do not win by length alone.
RANK_NORMALIZATION = 1


def idf(papers: int, holding: int) -> float:
    """BM25's inverse document frequency (Lucene's, never negative)."""
    return math.log(1 + (papers - holding + 0.5) / (holding + 0.5))


def _words(q: ParsedQuery) -> list[str]:
    terms = [t for t in q.terms if t.lower() not in STOPWORDS] or q.terms
    return list(dict.fromkeys(t.lower() for t in terms))


def _word(text: str) -> tuple[str, list[Any]]:
    # Hyphens are spaces in the documents too (pg_sql.py): "gpt-4" is 'gpt' & '4'. So are
    # diacritics folded there: "Schrödinger" is 'schroding'.
    return f"plainto_tsquery('{TS_CONFIG}', %s)", [fold(text.replace("-", " "))]


def _phrase(text: str) -> tuple[str, list[Any]]:
    return f"phraseto_tsquery('{TS_CONFIG}', %s)", [fold(text.replace("-", " "))]


def _combine(parts: list[tuple[str, list[Any]]], op: str) -> tuple[str, list[Any]]:
    sql = f" {op} ".join(p for p, _ in parts)
    return f"({sql})", [v for _, ps in parts for v in ps]


def tsquery(q: ParsedQuery, mode: str = "or") -> tuple[str, list[Any]] | None:
    """SQL for the query's tsquery and its parameters; None when there is no text.

    As fts_match on SQLite: phrases are required, words are alternatives in "or"
    mode (ranking rewards papers with more of them) and all required in "and"
    mode, exclusions are removed.
    """
    optional = [_word(t) for t in _words(q)]
    required = [_phrase(p) for p in q.phrases]
    if mode == "and":
        required += optional
        optional = []
    if not required and not optional:
        return None
    parts = list(required)
    if optional:
        parts.append(_combine(optional, "||"))
    expr = _combine(parts, "&&")
    if q.excluded:
        gone = _combine([_phrase(e) for e in q.excluded], "||")
        expr = _combine([expr, (f"!!{gone[0]}", gone[1])], "&&")
    return expr


def rank_sql(conn: BaseDatabaseWrapper, q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL scoring a matching document, and its parameters: the sum over the query's
    words and phrases of ts_rank for that word alone times the word's idf (a phrase
    counts as its rarest word). ts_rank alone has no idf: a common word counted as much
    as a rare one (SciFact nDCG@10 0.603 against plain BM25's 0.683, docs/benchmarks.md).
    The paper counts are the planner's (plan.IndexStats), probed once and cached."""
    papers = max(paper_count(conn), 1)

    def weight(words: list[str]) -> float:
        return max((idf(papers, STATS.doc_count(conn, w)) for w in words), default=1.0)

    parts = [(_word(w), weight([w])) for w in _words(q)]
    parts += [(_phrase(p), weight([w.lower() for w in words(p)])) for p in q.phrases]
    sql = " + ".join(
        f"{w:.6f} * ts_rank('{RANK_WEIGHTS}', d.document, {tsq}, {RANK_NORMALIZATION})"
        for (tsq, _), w in parts
    )
    return f"({sql or '0'})", [v for (_, ps), _ in parts for v in ps]


def keyword_sql(
    conn: BaseDatabaseWrapper, q: ParsedQuery, mode: str = "or"
) -> tuple[str, str, list[Any]] | None:
    """(rank SQL, WHERE SQL, parameters of both) for the query; None without text."""
    built = tsquery(q, mode)
    if built is None:
        return None
    tsq, tsq_params = built
    where, where_params = filter_sql(q, "d.paper_id")
    rank, rank_params = rank_sql(conn, q)
    return rank, f"d.document @@ {tsq}{where}", [*rank_params, *tsq_params, *where_params]


def keyword_search(
    conn: BaseDatabaseWrapper, q: ParsedQuery, limit: int, mode: str = "or", count: bool = True
) -> tuple[Ranked, int]:
    """((ids, scores), number of matches), ranked by rank_sql (idf-weighted ts_rank).

    Bounded as on SQLite (plan.py, with this index's word counts): in a large
    index an OR query drops its common words when rarer ones remain and ranks only a
    window of the newest papers holding about SCORE_BUDGET matches; with every word
    common it requires the longest ones among the newest papers and skips ts_rank
    (_rank_common). The total is then what was read. With count=False no second
    query counts the matches past `limit`.
    """
    low = None
    common = False
    if mode == "or":
        q, mode, low = plan_or_query(q, STATS, conn)
        common = mode == "and" and low is not None
    if common and low is not None:
        return _rank_common(conn, q, low, limit)
    built = keyword_sql(conn, q, mode)
    if built is None:
        return ([], []), 0
    rank, where, params = built
    if low is not None:
        # Only the newest papers: the planner ANDs the GIN match with a range of the
        # primary key, so the rows ranked are bounded by the window.
        where += " AND d.paper_id > %s"
        params.append(low)
    sql = (
        f"SELECT d.paper_id, {rank} AS score FROM {DOC_TABLE} d "
        f"WHERE {where} ORDER BY score DESC, d.paper_id DESC LIMIT %s"
    )
    try:
        with transaction.atomic(using=conn.alias), conn.cursor() as cur:
            cur.execute(sql, [*params, limit])
            rows = cur.fetchall()
            if len(rows) < limit or not count or low is not None:
                total = len(rows)
            else:
                # The rank's parameters come first: the WHERE clause has the rest.
                n_rank = rank.count("%s")
                cur.execute(f"SELECT count(*) FROM {DOC_TABLE} d WHERE {where}", params[n_rank:])
                total = int(cur.fetchone()[0])
    except DatabaseError:
        # Every piece of input is a parameter, so this is not expected; a search box
        # must still never fail (and the atomic block keeps the transaction usable).
        return ([], []), 0
    return ([int(r[0]) for r in rows], [float(r[1]) for r in rows]), total


def _rank_common(
    conn: BaseDatabaseWrapper, q: ParsedQuery, low: int, limit: int
) -> tuple[Ranked, int]:
    """Papers with every (common) word, among the newest; title matches first.

    As on SQLite (sqlite/fts.py), not ts_rank: with every word common it
    barely tells the matches apart, and it would read every match's document. Scores
    are 2 (every word in the title: the same tsquery on the document's weight-A
    lexemes) or 1, newest first within each; only the `limit` rows returned are read.
    """
    built = tsquery(q, "and")
    if built is None:
        return ([], []), 0
    tsq, tsq_params = built
    where, where_params = filter_sql(q, "d.paper_id")
    sql = (
        f"SELECT d.paper_id, ts_filter(d.document, '{{a}}') @@ {tsq} FROM {DOC_TABLE} d "
        f"WHERE d.document @@ {tsq}{where} AND d.paper_id > %s "
        "ORDER BY d.paper_id DESC LIMIT %s"
    )
    try:
        with transaction.atomic(using=conn.alias), conn.cursor() as cur:
            cur.execute(sql, [*tsq_params, *tsq_params, *where_params, low, limit])
            rows = cur.fetchall()
    except DatabaseError:
        return ([], []), 0
    rows.sort(key=lambda r: not r[1])  # stable: newest first within each group
    return ([int(r[0]) for r in rows], [2.0 if r[1] else 1.0 for r in rows]), len(rows)


def _newest(conn: BaseDatabaseWrapper) -> int:
    with conn.cursor() as cur:
        cur.execute(f"SELECT max(paper_id) FROM {DOC_TABLE}")
        row = cur.fetchone()
    return int(row[0] or 0)


def _probe(conn: BaseDatabaseWrapper, term: str, low: int, cap: int) -> int:
    """Papers above id `low` holding the word, up to `cap`: the GIN index among the newest."""
    sql, params = _word(term)
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {DOC_TABLE} WHERE document @@ {sql} "
            "AND paper_id > %s LIMIT %s) AS m",
            [*params, low, cap],
        )
        return int(cur.fetchone()[0])


# This process's statistics of the tsvector index, shared by its connections.
STATS = IndexStats(_newest, _probe)

# How long a process trusts its count of the index's papers (the N of idf).
COUNT_TTL = 60.0
# Below this many rows (PostgreSQL's estimate) the papers are counted exactly.
EXACT_COUNT_MAX = 100_000
_count: tuple[int, float] = (0, -1e9)


def paper_count(conn: BaseDatabaseWrapper) -> int:
    """The papers in the index: counted in a small index, PostgreSQL's estimate
    (pg_class.reltuples, kept by autovacuum) in a large one, cached COUNT_TTL seconds.
    Not the highest id: ids have gaps (deletions, copies, a test's rolled-back rows)."""
    global _count
    now = time.monotonic()
    if now - _count[1] < COUNT_TTL:
        return _count[0]
    with conn.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [DOC_TABLE])
        row = cur.fetchone()
        estimate = int(row[0]) if row and row[0] is not None else -1
        if estimate < EXACT_COUNT_MAX:
            cur.execute(f"SELECT count(*) FROM {DOC_TABLE}")
            estimate = int(cur.fetchone()[0])
    _count = (estimate, now)
    return estimate


def reset_count() -> None:
    global _count
    _count = (0, -1e9)


def excluded_ids_sql(q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL for the papers an exclusion removes (when there is no text to match)."""
    if not q.excluded:
        return "", []
    gone, params = _combine([_phrase(e) for e in q.excluded], "||")
    return f"SELECT paper_id FROM {DOC_TABLE} WHERE document @@ {gone}", params
