"""Dense retrieval on PostgreSQL: the vectors and their HNSW index live in the database
(pgvector), shared by every web and worker process; nothing is cached here but a count.
"""

# Table names are constants of this package; input only reaches parameters.
# ruff: noqa: S608

from __future__ import annotations

import time
from typing import Any

import numpy as np
from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from pgvector import Vector

from paperwire.search.backends.base import VectorRow
from paperwire.search.embeddings import DIM, MODEL_KEY
from paperwire.search.fusion import Ranked
from paperwire.search.pg_sql import VECTOR_TABLE

# Candidates the HNSW search visits (pgvector's default is 40; recall needs more).
EF_SEARCH = 100
# A filtered dense search over at most this many papers is exact (no index).
EXACT_FILTERED_MAX = 20_000


def register_vector_dumper(cursor: Any) -> None:
    """Send pgvector's `Vector` values in binary on this psycopg cursor (only)."""
    from pgvector.psycopg.vector import VectorBinaryDumper

    cursor.execute("SELECT 'vector'::regtype::oid")
    oid = cursor.fetchone()[0]
    dumper = type("VectorDumper", (VectorBinaryDumper,), {"oid": oid})
    cursor.adapters.register_dumper(Vector, dumper)


def vector_cursor(conn: BaseDatabaseWrapper) -> Any:
    """A psycopg cursor on Django's connection (same transaction) with server-side
    parameters, sending pgvector's `Vector` values in binary (`%b`)."""
    import psycopg

    conn.ensure_connection()
    raw = psycopg.Cursor(conn.connection)
    register_vector_dumper(raw)
    return raw


def embedding_value(dim: int, blob: bytes | memoryview) -> Vector | None:
    """The `embedding` column's value for a row's bytes: the same float32 values."""
    if dim != DIM or len(blob) != 4 * DIM:
        return None
    return Vector(np.frombuffer(bytes(blob), dtype="<f4"))


def store_vectors(conn: BaseDatabaseWrapper, rows: list[VectorRow]) -> None:
    """Insert or replace PaperVector rows, sending `embedding` with the bytes: the
    trigger then keeps it instead of decoding the bytes in SQL (pg_sql.ON_VECTOR)."""
    if not rows:
        return
    with vector_cursor(conn) as raw:
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
    conn: BaseDatabaseWrapper,
    query: np.ndarray,
    k: int,
    allowed: set[int] | None = None,
    exclude: int | None = None,
) -> Ranked:
    """(ids, cosine similarities) of the k nearest papers, best first.

    Unfiltered: the HNSW index (`ORDER BY embedding <=> q LIMIT k`). Filtered to a
    few papers: exact, over just those rows. Filtered to many: the index with
    pgvector's iterative scan, which keeps walking the graph until k rows pass.
    """
    if k <= 0 or (allowed is not None and not allowed):
        return [], []
    sql, params, filtered_scan = vector_sql(query, k, allowed, exclude)
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, min(k, 1000))}")
        _iterative_scan(cur, "relaxed_order" if filtered_scan else "strict_order")
        cur.execute(sql, params)
        rows = cur.fetchall()
    # relaxed_order may return neighbours slightly out of order.
    rows.sort(key=lambda r: -r[1])
    return [int(r[0]) for r in rows], [float(r[1]) for r in rows]


def _iterative_scan(cur: Any, order: str) -> None:
    """Keep walking the graph until k rows pass (pgvector >= 0.8): rows the filter
    allows, and rows this transaction can see. Every deleted or superseded vector (a
    re-embedding, a rolled-back write) keeps its index entry until VACUUM, as near as
    the live one, and an ef_search of candidates could be mostly those.

    Older versions stop after ef_search candidates and may return fewer than k papers.
    Unfiltered, the order stays strict, so the top k are the exact index order.
    """
    try:
        with transaction.atomic(using=cur.db.alias):
            cur.execute(f"SET LOCAL hnsw.iterative_scan = {order}")
    except DatabaseError:
        pass


def vector_of(conn: BaseDatabaseWrapper, paper_id: int) -> np.ndarray | None:
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT vector FROM {VECTOR_TABLE} WHERE paper_id = %s AND model = %s "
            "AND embedding IS NOT NULL",
            [paper_id, MODEL_KEY],
        )
        row = cur.fetchone()
    return None if row is None else np.frombuffer(bytes(row[0]), dtype="<f4")


def cosines(conn: BaseDatabaseWrapper, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
    """Exact cosine of the query with each given paper that has a vector."""
    if not paper_ids:
        return {}
    with conn.cursor() as cur:
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


def vector_count(conn: BaseDatabaseWrapper) -> int:
    now = time.monotonic()
    if now - _count_cache["at"] < max(VECTOR_COUNT_TTL, 200 * _count_cache["took"]):
        return int(_count_cache["n"])
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM {VECTOR_TABLE} WHERE model = %s AND embedding IS NOT NULL",
            [MODEL_KEY],
        )
        n = int(cur.fetchone()[0])
    _count_cache.update(n=float(n), at=time.monotonic(), took=time.monotonic() - now)
    return n


def reset_count() -> None:
    _count_cache["at"] = -1e9
