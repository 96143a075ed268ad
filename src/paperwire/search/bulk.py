"""The keyword index's side of papers.indexing: a bulk insert of new papers writes their
index rows in one statement instead of through the per-row triggers (which rebuild a
paper's byline with a join for every paper, and again for every author row).

SQLite: the insert triggers are conditioned on the table `search_fts_suspend` being
empty. A row is put there inside the writer's transaction and deleted before it
commits: SQLite has a single writer, so no other connection writes while it is there,
and readers never see it (it is never committed).

PostgreSQL: the trigger functions skip inserts while the setting
`paperwire.defer_search_index` is on, which the writer sets with SET LOCAL: it holds
for its own transaction in its own session only.
"""

# Every statement here is built from constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from django.db import connection

from paperwire.papers.indexing import NewPaperText
from paperwire.search.fts_sql import FTS_TABLE, SUSPEND_TABLE
from paperwire.search.pg_sql import (
    DEFER_SETTING,
    DOC_TABLE,
    VECTOR_TABLE,
    build_vector_index,
    drop_vector_index,
)


class FtsBulkIndex:
    """SQLite's FTS5 table."""

    def suspend(self) -> bool:
        if connection.vendor != "sqlite":
            return False
        with connection.cursor() as cur:
            cur.execute(f"SELECT name FROM sqlite_master WHERE name IN ('{SUSPEND_TABLE}', "
                        f"'{FTS_TABLE}')")  # fmt: skip
            if len(cur.fetchall()) != 2:
                return False  # not migrated yet: the triggers (if any) keep doing the work
            cur.execute(f"INSERT OR IGNORE INTO {SUSPEND_TABLE}(id) VALUES (1)")
        return True

    def add(self, papers: list[NewPaperText]) -> None:
        if not papers:
            return
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors) VALUES (%s, %s, %s, %s)",
                [(p.pk, p.title, p.abstract, ", ".join(p.authors)) for p in papers],
            )

    def resume(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {SUSPEND_TABLE}")


class PgBulkIndex:
    """PostgreSQL's weighted tsvector documents."""

    def suspend(self) -> bool:
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [DOC_TABLE])
            if not cur.fetchone()[0]:
                return False
            cur.execute(f"SET LOCAL {DEFER_SETTING} = 'on'")
        return True

    def add(self, papers: list[NewPaperText]) -> None:
        if not papers:
            return
        with connection.cursor() as cur:
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

    def resume(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"SET LOCAL {DEFER_SETTING} = 'off'")


class PgVectorColumns:
    """`db copy` into PostgreSQL: a vector row's `embedding` is sent with its bytes, so
    the trigger does not decode them in SQL (pg_sql.ON_VECTOR); a copy of more than
    BULK_ROWS vectors drops the HNSW index first and builds it once at the end."""

    table = VECTOR_TABLE
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
        from paperwire.search import pg_search

        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
            "AND column_name = 'embedding'",
            [VECTOR_TABLE],
        )
        if cursor.fetchone() is None:
            return []
        pg_search.register_vector_dumper(cursor)
        return ["embedding"]

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        from paperwire.search import pg_search

        return (pg_search.embedding_value(row["dim"], row["vector"]),)
