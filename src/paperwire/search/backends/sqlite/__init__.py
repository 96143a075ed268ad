"""Search on SQLite: FTS5 BM25 for keywords, vectors searched in this process.

Keywords: fts.py over the FTS5 table that triggers keep in sync (fts_sql.py). Vectors:
the memory-mapped snapshot plus the recent delta (vector_index.py, snapshot.py, ann.py).
"""

# Table names are constants of this package; input only reaches parameters.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

import numpy as np

from paperwire.papers.indexing import NewPaperText
from paperwire.search.backends.base import SearchBackend, VectorRow
from paperwire.search.backends.sqlite import fts
from paperwire.search.backends.sqlite.vector_index import INDEX, refresh_snapshot
from paperwire.search.fts_sql import (
    CREATE,
    FTS_TABLE,
    REBUILD,
    SUSPEND_TABLE,
    TRIGGER_NAMES,
    TRIGGERS,
)
from paperwire.search.fusion import Ranked
from paperwire.search.models import PaperVector
from paperwire.search.plan import MAX_MATCHES
from paperwire.search.query import ParsedQuery
from paperwire.search.snapshot import BuildProgress


class SQLiteSearch(SearchBackend):
    name = "sqlite"

    def keyword_search(
        self, q: ParsedQuery, limit: int = MAX_MATCHES, mode: str = "or", count: bool = True
    ) -> tuple[Ranked, int]:
        return fts.keyword_search(self.connection, q, limit, mode, count)

    def excluded_ids_sql(self, q: ParsedQuery) -> tuple[str, list[Any]]:
        return fts.excluded_ids_sql(q)

    def vector_search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> Ranked:
        return INDEX.search(query, k, allowed, exclude)

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        return INDEX.cosines(query, paper_ids)

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        return INDEX.vector_of(paper_id)

    def vector_count(self) -> int:
        return INDEX.size()

    def store_vectors(self, rows: list[VectorRow]) -> None:
        for pk, model_key, dim, blob, digest, at in rows:
            PaperVector.objects.update_or_create(
                paper_id=pk,
                defaults={
                    "model": model_key,
                    "dim": dim,
                    "vector": blob,
                    "text_hash": digest,
                    "embedded_at": at,
                },
            )

    def vectors_caught_up(self, progress: BuildProgress | None = None) -> None:
        # Fold what was embedded into the shared snapshot when the delta grew large.
        refresh_snapshot(progress=progress)

    def reindex(self) -> int:
        with self.connection.cursor() as cur:
            for sql in [*CREATE, *TRIGGERS, *REBUILD]:
                cur.execute(sql)
            cur.execute(f"SELECT count(*) FROM {FTS_TABLE}")
            return int(cur.fetchone()[0])

    def after_migrate(self) -> None:
        """Re-create the FTS sync triggers if a later migration dropped them.

        Django alters a SQLite table by rebuilding it, which drops the triggers on it (a
        new column on papers_paper would silently stop index updates). When any trigger
        is missing it is created and the index rebuilt.
        """
        with self.connection.cursor() as cur:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cur.fetchall()}
            cur.execute("SELECT name FROM sqlite_master WHERE name = 'papers_paper'")
            if not cur.fetchone() or set(TRIGGER_NAMES) <= present:
                return
            for sql in [*CREATE, *TRIGGERS, *REBUILD]:
                cur.execute(sql)

    def suspend_indexing(self) -> bool:
        """The insert triggers are conditioned on `search_fts_suspend` being empty. A row
        is put there inside the writer's transaction and deleted before it commits: SQLite
        has a single writer, so no other connection writes while it is there, and readers
        never see it (it is never committed)."""
        with self.connection.cursor() as cur:
            cur.execute(
                f"SELECT name FROM sqlite_master WHERE name IN ('{SUSPEND_TABLE}', '{FTS_TABLE}')"
            )
            if len(cur.fetchall()) != 2:
                return False  # not migrated yet: the triggers (if any) keep doing the work
            cur.execute(f"INSERT OR IGNORE INTO {SUSPEND_TABLE}(id) VALUES (1)")
        return True

    def index_papers(self, papers: list[NewPaperText]) -> None:
        if not papers:
            return
        with self.connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors) VALUES (%s, %s, %s, %s)",
                [(p.pk, p.title, p.abstract, ", ".join(p.authors)) for p in papers],
            )

    def resume_indexing(self) -> None:
        with self.connection.cursor() as cur:
            cur.execute(f"DELETE FROM {SUSPEND_TABLE}")

    @classmethod
    def reset_caches(cls) -> None:
        fts.STATS.reset()
        INDEX.reset()
