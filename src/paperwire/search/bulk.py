"""The FTS5 index's side of papers.indexing: bulk inserts of new papers write their index
rows in one executemany instead of through the per-row triggers (which rebuild the
byline with a join for every paper and fire once per author row).

The triggers on inserts are conditioned on the table `search_fts_suspend` being empty.
A row is put there inside the writer's transaction and deleted before it commits:
SQLite has a single writer, so no other connection ever writes while it is there, and
readers never see it (it is never committed).
"""

# Every statement here is built from constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection

from paperwire.papers.indexing import NewPaperText
from paperwire.search.fts_sql import FTS_TABLE, SUSPEND_TABLE


class FtsBulkIndex:
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
