"""Search on PostgreSQL: the weighted tsvector ranked by ts_rank, and pgvector HNSW.

The same parsed query as on SQLite (query.py), turned into a tsquery without
ever parsing user text as tsquery syntax: every word, phrase and exclusion is a
parameter of `plainto_tsquery` / `phraseto_tsquery`, combined with the tsquery
operators `&&`, `||` and `!!`. Filters are the same SQL WHERE clauses as on
SQLite (keyword.filtered_papers). Every ranker returns `(ids, scores)`, best first.
"""

# Table names and weights are constants of this package; input only reaches parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from django.db import DatabaseError, connection, transaction
from pgvector import Vector

from paperwire.search import keyword
from paperwire.search.embeddings import DIM, MODEL_KEY
from paperwire.search.fusion import Ranked
from paperwire.search.pg_sql import DOC_TABLE, TS_CONFIG, VECTOR_TABLE
from paperwire.search.query import STOPWORDS, ParsedQuery

# ts_rank weights of {D, C, B, A}: authors (C) 0.1, abstract (B) 0.5, title (A) 1.
# ts_rank, not ts_rank_cd: cover density scores a paper with some of an OR query's
# words far below one with all of them, which lost known-item queries; on
# bench/eval_queries.jsonl ts_rank scored MRR@10 0.96 against ts_rank_cd's 0.86
# (docs/search.md, "PostgreSQL").
RANK_WEIGHTS = "{0.0, 0.1, 0.5, 1.0}"
# 1: divide by 1 + log(document length), so long abstracts do not win by length alone.
RANK_NORMALIZATION = 1
# Candidates the HNSW search visits (pgvector's default is 40; recall needs more).
EF_SEARCH = 100
# A filtered dense search over at most this many papers is exact (no index).
EXACT_FILTERED_MAX = 20_000


def _word(text: str) -> tuple[str, list[Any]]:
    # Hyphens are spaces in the documents too (pg_sql.py): "gpt-4" is 'gpt' & '4'.
    return f"plainto_tsquery('{TS_CONFIG}', %s)", [text.replace("-", " ")]


def _phrase(text: str) -> tuple[str, list[Any]]:
    return f"phraseto_tsquery('{TS_CONFIG}', %s)", [text.replace("-", " ")]


def _combine(parts: list[tuple[str, list[Any]]], op: str) -> tuple[str, list[Any]]:
    sql = f" {op} ".join(p for p, _ in parts)
    return f"({sql})", [v for _, ps in parts for v in ps]


def tsquery(q: ParsedQuery, mode: str = "or") -> tuple[str, list[Any]] | None:
    """SQL for the query's tsquery and its parameters; None when there is no text.

    As fts_match on SQLite: phrases are required, words are alternatives in "or"
    mode (ranking rewards papers with more of them) and all required in "and"
    mode, exclusions are removed.
    """
    terms = [t for t in q.terms if t.lower() not in STOPWORDS] or q.terms
    optional = [_word(t) for t in dict.fromkeys(t.lower() for t in terms)]
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


def _filter_sql(q: ParsedQuery, column: str) -> tuple[str, list[Any]]:
    qs = keyword.filtered_papers(q)
    if qs is None:
        return "", []
    sql, params = qs.values("id").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def keyword_sql(q: ParsedQuery, mode: str = "or") -> tuple[str, str, list[Any]] | None:
    """(rank SQL, WHERE SQL, parameters of both) for the query; None without text."""
    built = tsquery(q, mode)
    if built is None:
        return None
    tsq, tsq_params = built
    where, where_params = _filter_sql(q, "d.paper_id")
    rank = f"ts_rank('{RANK_WEIGHTS}', d.document, {tsq}, {RANK_NORMALIZATION})"
    return rank, f"d.document @@ {tsq}{where}", [*tsq_params, *tsq_params, *where_params]


def keyword_search(
    q: ParsedQuery, limit: int, mode: str = "or", count: bool = True
) -> tuple[Ranked, int]:
    """((ids, scores), number of matches), ranked by weighted ts_rank.

    Bounded as on SQLite (keyword._plan, with this backend's word counts): in a large
    index an OR query drops its common words when rarer ones remain and ranks only a
    window of the newest papers holding about SCORE_BUDGET matches; with every word
    common it requires the longest ones among the newest papers and skips ts_rank
    (_rank_common). The total is then what was read. With count=False no second
    query counts the matches past `limit`.
    """
    low = None
    common = False
    if mode == "or":
        q, mode, low = keyword._plan(q, _index_size, _doc_count)
        common = mode == "and" and low is not None
    if common and low is not None:
        return _rank_common(q, low, limit)
    built = keyword_sql(q, mode)
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
        with transaction.atomic(), connection.cursor() as cur:
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


def _rank_common(q: ParsedQuery, low: int, limit: int) -> tuple[Ranked, int]:
    """Papers with every (common) word, among the newest; title matches first.

    As on SQLite (keyword._rank_common), not ts_rank: with every word common it
    barely tells the matches apart, and it would read every match's document. Scores
    are 2 (every word in the title: the same tsquery on the document's weight-A
    lexemes) or 1, newest first within each; only the `limit` rows returned are read.
    """
    built = tsquery(q, "and")
    if built is None:
        return ([], []), 0
    tsq, tsq_params = built
    where, where_params = _filter_sql(q, "d.paper_id")
    sql = (
        f"SELECT d.paper_id, ts_filter(d.document, '{{a}}') @@ {tsq} FROM {DOC_TABLE} d "
        f"WHERE d.document @@ {tsq}{where} AND d.paper_id > %s "
        "ORDER BY d.paper_id DESC LIMIT %s"
    )
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [*tsq_params, *tsq_params, *where_params, low, limit])
            rows = cur.fetchall()
    except DatabaseError:
        return ([], []), 0
    rows.sort(key=lambda r: not r[1])  # stable: newest first within each group
    return ([int(r[0]) for r in rows], [2.0 if r[1] else 1.0 for r in rows]), len(rows)


_size_cache: dict[str, float] = {"n": 0.0, "at": -1e9}
# term -> (papers holding it, capped at COMMON_DOCS; when probed): as keyword._doc_cache.
_doc_cache: dict[str, tuple[int, float]] = {}


def reset_caches() -> None:
    _doc_cache.clear()
    _size_cache["at"] = -1e9
    _count_cache["at"] = -1e9


def _index_size() -> int:
    now = time.monotonic()
    if now - _size_cache["at"] > 60:
        with connection.cursor() as cur:
            cur.execute(f"SELECT max(paper_id) FROM {DOC_TABLE}")
            row = cur.fetchone()
        _size_cache.update(n=float(row[0] or 0), at=now)
    return int(_size_cache["n"])


def _doc_count(term: str) -> int:
    """About how many papers hold the word, up to COMMON_DOCS (keyword._doc_count):
    counted among the newest PROBE_WINDOW papers, at most COMMON_DOCS x PROBE_WINDOW /
    size of them read, and scaled to the whole index."""
    now = time.monotonic()
    hit = _doc_cache.get(term)
    if hit is not None and now - hit[1] < keyword.COMMON_TTL:
        return hit[0]
    size = max(_index_size(), 1)
    window = min(size, keyword.PROBE_WINDOW)
    cap = -(-keyword.COMMON_DOCS * window // size)  # ceil
    sql, params = _word(term)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {DOC_TABLE} WHERE document @@ {sql} "
            "AND paper_id > %s LIMIT %s) AS m",
            [*params, size - window, cap],
        )
        seen = int(cur.fetchone()[0])
    n = keyword.COMMON_DOCS if seen >= cap else min(keyword.COMMON_DOCS - 1, seen * size // window)
    if len(_doc_cache) >= keyword.COMMON_CACHE_MAX:
        _doc_cache.clear()
    _doc_cache[term] = (n, now)
    return n


def excluded_ids_sql(q: ParsedQuery) -> tuple[str, list[Any]]:
    """SQL for the papers an exclusion removes (when there is no text to match)."""
    if not q.excluded:
        return "", []
    gone, params = _combine([_phrase(e) for e in q.excluded], "||")
    return f"SELECT paper_id FROM {DOC_TABLE} WHERE document @@ {gone}", params


def reindex() -> int:
    """Re-create the search schema where missing and refill the documents and embeddings."""
    from paperwire.search import pg_sql

    with transaction.atomic(), connection.cursor() as cur:
        pg_sql.install(cur)
        cur.execute(f"SELECT count(*) FROM {DOC_TABLE}")
        return int(cur.fetchone()[0])


# Dense retrieval: the vectors and their HNSW index are in the database, shared by
# every process; nothing is cached here.


# paper_id, model, dim, float32 little-endian bytes, text_hash, embedded_at
VectorRow = tuple[int, str, int, bytes, str, dt.datetime]


def register_vector_dumper(cursor: Any) -> None:
    """Send pgvector's `Vector` values in binary on this psycopg cursor (only)."""
    from pgvector.psycopg.vector import VectorBinaryDumper

    cursor.execute("SELECT 'vector'::regtype::oid")
    oid = cursor.fetchone()[0]
    dumper = type("VectorDumper", (VectorBinaryDumper,), {"oid": oid})
    cursor.adapters.register_dumper(Vector, dumper)


def vector_cursor() -> Any:
    """A psycopg cursor on Django's connection (same transaction) with server-side
    parameters, sending pgvector's `Vector` values in binary (`%b`)."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    register_vector_dumper(raw)
    return raw


def embedding_value(dim: int, blob: bytes | memoryview) -> Vector | None:
    """The `embedding` column's value for a row's bytes: the same float32 values."""
    if dim != DIM or len(blob) != 4 * DIM:
        return None
    return Vector(np.frombuffer(bytes(blob), dtype="<f4"))


def store_vectors(rows: list[VectorRow]) -> None:
    """Insert or replace PaperVector rows, sending `embedding` with the bytes: the
    trigger then keeps it instead of decoding the bytes in SQL (pg_sql.ON_VECTOR)."""
    if not rows:
        return
    with vector_cursor() as raw:
        raw.executemany(
            f"INSERT INTO {VECTOR_TABLE} "
            "(paper_id, model, dim, vector, text_hash, embedded_at, embedding) "
            "VALUES (%s, %s, %s, %b, %s, %s, %b) ON CONFLICT (paper_id) DO UPDATE SET "
            "model = EXCLUDED.model, dim = EXCLUDED.dim, vector = EXCLUDED.vector, "
            "text_hash = EXCLUDED.text_hash, embedded_at = EXCLUDED.embedded_at, "
            "embedding = EXCLUDED.embedding",
            [(*row, embedding_value(row[2], row[3])) for row in rows],
        )


def vector_literal(vec: np.ndarray) -> str:
    """pgvector's text form; float32 values printed exactly."""
    values = np.asarray(vec, dtype=np.float32).astype(np.float64).tolist()
    return "[" + ",".join(map(repr, values)) + "]"


def vector_sql(
    query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
) -> tuple[str, list[Any], bool]:
    """(SQL, parameters, whether it filters the HNSW scan) of the k nearest papers."""
    lit = vector_literal(query)
    conds = ["v.model = %s", "v.embedding IS NOT NULL"]
    params: list[Any] = [MODEL_KEY]
    if exclude is not None:
        conds.append("v.paper_id <> %s")
        params.append(exclude)
    exact = allowed is not None and len(allowed) <= EXACT_FILTERED_MAX
    if allowed is not None:
        conds.append("v.paper_id = ANY(%s)")
        params.append(sorted(allowed))
    # "+ 0" hides the distance from the planner, so the exact path reads only the rows
    # the filter allows instead of walking the HNSW graph.
    order = "(v.embedding <=> %s::vector) + 0" if exact else "v.embedding <=> %s::vector"
    sql = (
        f"SELECT v.paper_id, 1 - (v.embedding <=> %s::vector) FROM {VECTOR_TABLE} v "
        f"WHERE {' AND '.join(conds)} ORDER BY {order} LIMIT %s"
    )
    return sql, [lit, *params, lit, k], allowed is not None and not exact


def vector_search(
    query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
) -> Ranked:
    """(ids, cosine similarities) of the k nearest papers, best first.

    Unfiltered: the HNSW index (`ORDER BY embedding <=> q LIMIT k`). Filtered to a
    few papers: exact, over just those rows. Filtered to many: the index with
    pgvector's iterative scan, which keeps walking the graph until k rows pass.
    """
    if k <= 0 or (allowed is not None and not allowed):
        return [], []
    sql, params, filtered_scan = vector_sql(query, k, allowed, exclude)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, min(k, 1000))}")
        if filtered_scan:
            _iterative_scan(cur)
        cur.execute(sql, params)
        rows = cur.fetchall()
    # relaxed_order may return neighbours slightly out of order.
    rows.sort(key=lambda r: -r[1])
    return [int(r[0]) for r in rows], [float(r[1]) for r in rows]


def _iterative_scan(cur: Any) -> None:
    """Keep walking the graph until enough rows pass the filter (pgvector >= 0.8).

    Older versions stop after ef_search candidates: a very selective filter over a
    large index may then return fewer than k papers.
    """
    try:
        with transaction.atomic():
            cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    except DatabaseError:
        pass


def vector_of(paper_id: int) -> np.ndarray | None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT vector FROM {VECTOR_TABLE} WHERE paper_id = %s AND model = %s "
            "AND embedding IS NOT NULL",
            [paper_id, MODEL_KEY],
        )
        row = cur.fetchone()
    return None if row is None else np.frombuffer(bytes(row[0]), dtype="<f4")


def cosines(query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
    """Exact cosine of the query with each given paper that has a vector."""
    if not paper_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT paper_id, 1 - (embedding <=> %s::vector) FROM {VECTOR_TABLE} "
            "WHERE paper_id = ANY(%s) AND model = %s AND embedding IS NOT NULL",
            [vector_literal(query), list(paper_ids), MODEL_KEY],
        )
        return {int(pid): float(s) for pid, s in cur.fetchall()}


# (count, when, seconds it took): counting a million vectors takes most of a second, so
# a count is reused for 200 times as long as it took (at least VECTOR_COUNT_TTL seconds);
# it only says how many papers still lack a vector.
_count_cache: dict[str, float] = {"n": 0.0, "at": -1e9, "took": 0.0}
VECTOR_COUNT_TTL = 2.0


def vector_count() -> int:
    now = time.monotonic()
    if now - _count_cache["at"] < max(VECTOR_COUNT_TTL, 200 * _count_cache["took"]):
        return int(_count_cache["n"])
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM {VECTOR_TABLE} WHERE model = %s AND embedding IS NOT NULL",
            [MODEL_KEY],
        )
        n = int(cur.fetchone()[0])
    _count_cache.update(n=float(n), at=time.monotonic(), took=time.monotonic() - now)
    return n
