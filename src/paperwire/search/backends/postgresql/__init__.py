"""Search on PostgreSQL: the weighted tsvector ranked by idf-weighted ts_rank, and pgvector HNSW.

Keywords: tsvector.py over `search_paper_doc`, which triggers keep in sync (pg_sql.py).
Vectors: pgvector.py, the `embedding` column of search_papervector and its HNSW index.
"""

# Table names are constants of this package; input only reaches parameters.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import transaction

from paperwire.papers.indexing import NewPaperText
from paperwire.search import pg_sql
from paperwire.search.backends.base import SearchBackend, VectorRow
from paperwire.search.backends.postgresql import pgvector, tsvector
from paperwire.search.fusion import Ranked
from paperwire.search.pg_sql import (
    DEFER_SETTING,
    DOC_TABLE,
    VECTOR_TABLE,
    build_vector_index,
    drop_vector_index,
)
from paperwire.search.plan import MAX_MATCHES
from paperwire.search.query import ParsedQuery


class PostgresSearch(SearchBackend):
    name = "postgresql"
    vector_search_is_a_query = True

    def keyword_search(
        self, q: ParsedQuery, limit: int = MAX_MATCHES, mode: str = "or", count: bool = True
    ) -> tuple[Ranked, int]:
        return tsvector.keyword_search(self.connection, q, limit, mode, count)

    def excluded_ids_sql(self, q: ParsedQuery) -> tuple[str, list[Any]]:
        return tsvector.excluded_ids_sql(q)

    def vector_search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> Ranked:
        return pgvector.vector_search(self.connection, query, k, allowed, exclude)

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        return pgvector.cosines(self.connection, query, paper_ids)

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        return pgvector.vector_of(self.connection, paper_id)

    def vector_count(self) -> int:
        return pgvector.vector_count(self.connection)

    def store_vectors(self, rows: list[VectorRow]) -> None:
        # With `embedding` sent as well: the trigger does not decode the bytes in SQL.
        pgvector.store_vectors(self.connection, rows)

    def reindex(self) -> int:
        """Re-create the search schema where missing and refill the documents and embeddings."""
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cur:
            pg_sql.install(cur)
            cur.execute(f"SELECT count(*) FROM {DOC_TABLE}")
            return int(cur.fetchone()[0])

    def suspend_indexing(self) -> bool:
        """The trigger functions skip inserts while `paperwire.defer_search_index` is on,
        which the writer sets with SET LOCAL: it holds for its own transaction in its own
        session only."""
        with self.connection.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [DOC_TABLE])
            if not cur.fetchone()[0]:
                return False
            cur.execute(f"SET LOCAL {DEFER_SETTING} = 'on'")
        return True

    def index_papers(self, papers: list[NewPaperText]) -> None:
        if not papers:
            return
        with self.connection.cursor() as cur:
            cur.execute(
                f"""INSERT INTO {DOC_TABLE} (paper_id, document)
                SELECT id, search_paper_document(title, abstract, authors)
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                    AS new(id, title, abstract, authors)
                ON CONFLICT (paper_id) DO UPDATE SET document = EXCLUDED.document""",
                [
                    [p.pk for p in papers],
                    [p.title for p in papers],
                    [p.abstract for p in papers],
                    [", ".join(p.authors) for p in papers],
                ],
            )

    def resume_indexing(self) -> None:
        with self.connection.cursor() as cur:
            cur.execute(f"SET LOCAL {DEFER_SETTING} = 'off'")

    def copy_columns(self) -> Any:
        return PgVectorColumns()

    @classmethod
    def reset_caches(cls) -> None:
        tsvector.STATS.reset()
        tsvector.reset_count()
        pgvector.reset_count()


class PgVectorColumns:
    """`db copy` into PostgreSQL: a vector row's `embedding` is sent with its bytes, so
    the trigger does not decode them in SQL (pg_sql.ON_VECTOR); a copy of more than
    BULK_ROWS vectors drops the HNSW index first and builds it once at the end."""

    BULK_ROWS = 20_000
    # For the one build: the graph of a million vectors takes about 2 GB (1,953 MB measured).
    BUILD_MEMORY = "3GB"

    def before_load(self, cursor: Any, rows: int) -> None:
        if rows >= self.BULK_ROWS:
            drop_vector_index(cursor)

    def after_load(self, cursor: Any) -> None:
        # Re-creates the index only when it is missing (dropped above, or by a copy
        # killed before it got here): IF NOT EXISTS.
        build_vector_index(cursor, memory=self.BUILD_MEMORY, workers=2)

    def columns(self, cursor: Any) -> list[str]:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
            "AND column_name = 'embedding'",
            [VECTOR_TABLE],
        )
        if cursor.fetchone() is None:
            return []
        pgvector.register_vector_dumper(cursor)
        return ["embedding"]

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return (pgvector.embedding_value(row["dim"], row["vector"]),)
