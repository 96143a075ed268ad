"""What a search backend answers: one object per database connection (chooser in
__init__.py), so the engine never asks which database it is on.

Every ranker returns `(paper ids, scores)`, best first (fusion.Ranked).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db.backends.base.base import BaseDatabaseWrapper

from paperwire.papers.indexing import NewPaperText
from paperwire.search.fusion import Ranked
from paperwire.search.plan import MAX_MATCHES
from paperwire.search.query import ParsedQuery
from paperwire.search.snapshot import BuildProgress

# paper_id, model, dim, float32 little-endian bytes, text_hash, embedded_at
VectorRow = tuple[int, str, int, bytes, str, dt.datetime]


class SearchBackend:
    name = ""
    # The dense ranker is a query of this database: it may run beside the keyword query
    # on a second connection (the engine's embedding thread) instead of after it.
    vector_search_is_a_query = False

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    # Keyword ranking.
    def keyword_search(
        self, q: ParsedQuery, limit: int = MAX_MATCHES, mode: str = "or", count: bool = True
    ) -> tuple[Ranked, int]:
        """((ids, scores), number of matches); higher scores are better.

        mode "or" ranks papers with any of the words; "and" requires all of them. With
        count=False no second query counts matches past `limit`. In a large index an OR
        query reads a bounded number of matches (plan.py): the total is then what was read.
        """
        raise NotImplementedError

    def excluded_ids_sql(self, q: ParsedQuery) -> tuple[str, list[Any]]:
        """SQL (and parameters) selecting the papers the query's exclusions remove."""
        raise NotImplementedError

    # Vectors.
    def vector_search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> Ranked:
        """The k papers nearest to the query by cosine, among `allowed` when given."""
        raise NotImplementedError

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        """Exact cosine of the query with each given paper that has a vector."""
        raise NotImplementedError

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        raise NotImplementedError

    def vector_count(self) -> int:
        """Papers with a current vector (may lag by a few seconds)."""
        raise NotImplementedError

    def store_vectors(self, rows: list[VectorRow]) -> None:
        """Insert or replace PaperVector rows (inside the caller's transaction)."""
        raise NotImplementedError

    def vectors_caught_up(self, progress: BuildProgress | None = None) -> None:
        """An embedding run embedded every paper: fold its vectors in where that is due."""

    # The keyword index.
    def reindex(self) -> int:
        """Re-create the search schema where missing and refill it; returns papers indexed."""
        raise NotImplementedError

    def after_migrate(self) -> None:
        """Repair what a migration of the papers tables may have dropped (triggers)."""

    # Bulk writes (papers.indexing): inserts stop updating the keyword index one row at a
    # time while suspended, and the writer hands the new papers over in one batch.
    def suspend_indexing(self) -> bool:
        """False when not possible here (the triggers then keep doing the work)."""
        return False

    def index_papers(self, papers: list[NewPaperText]) -> None:
        raise NotImplementedError

    def resume_indexing(self) -> None:
        raise NotImplementedError

    # `paperwire db copy` into this database.
    def copy_columns(self) -> Any | None:
        """The dbcopy.ExtraColumns of the vector table, or None when rows need none."""
        return None

    @classmethod
    def reset_caches(cls) -> None:
        """Forget what this process remembers of the indexes (tests, restores)."""
