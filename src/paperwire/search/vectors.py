"""Stored paper vectors: computing the missing ones, and the in-memory index over them.

Every ranker here returns `(paper ids, scores)`, best first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from paperwire.papers.models import Paper
from paperwire.papers.store import bump_data_version
from paperwire.search import ann
from paperwire.search.embeddings import (
    DIM,
    MODEL_KEY,
    Embedder,
    EmbeddingUnavailable,
    embedding_text,
    get_embedder,
    text_hash,
)
from paperwire.search.models import PaperVector


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_blob(blob: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<f4")


def _stale_ids() -> list[int]:
    # Written as SQL: "vector older than the paper" compares two tables' columns.
    sql = """
        SELECT p.id FROM papers_paper p
        LEFT JOIN search_papervector v ON v.paper_id = p.id
        WHERE v.paper_id IS NULL OR v.model != %s OR p.modified > v.embedded_at
        ORDER BY p.id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [MODEL_KEY])
        return [row[0] for row in cur.fetchall()]


def count_missing() -> int:
    return len(_stale_ids())


def embed_missing(
    batch_size: int = 64,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> int:
    """Embed every paper without a current vector; returns how many were (re)embedded.

    Resumable: each batch is committed on its own, so an interrupted run loses at
    most one batch, and the next run starts with what is still missing. A paper
    whose title and abstract did not change keeps its vector (only its stamp moves).
    Called by `paperwire embed` and by the worker after papers are stored.
    """
    ids = _stale_ids()
    if limit is not None:
        ids = ids[:limit]
    if not ids:
        return 0
    model = embedder or get_embedder()
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        papers = list(Paper.objects.filter(pk__in=chunk).only("pk", "title", "abstract"))
        existing = {
            v.paper_id: v for v in PaperVector.objects.filter(paper_id__in=chunk, model=MODEL_KEY)
        }
        texts = {p.pk: embedding_text(p.title, p.abstract) for p in papers}
        todo = [
            p
            for p in papers
            if existing.get(p.pk) is None or existing[p.pk].text_hash != text_hash(texts[p.pk])
        ]
        vecs = model.encode([texts[p.pk] for p in todo], batch_size=16) if todo else None
        now = timezone.now()
        with transaction.atomic():
            for i, p in enumerate(todo):
                assert vecs is not None
                PaperVector.objects.update_or_create(
                    paper_id=p.pk,
                    defaults={
                        "model": MODEL_KEY,
                        "dim": DIM,
                        "vector": to_blob(vecs[i]),
                        "text_hash": text_hash(texts[p.pk]),
                        "embedded_at": now,
                    },
                )
            unchanged = [p.pk for p in papers if p not in todo]
            PaperVector.objects.filter(paper_id__in=unchanged).update(embedded_at=now)
        done += len(papers)
        if progress:
            progress(len(papers), len(ids))
    # Paper pages show related papers, which new vectors change: renew cached pages.
    bump_data_version()
    return done


@dataclass
class VectorState:
    stamp: tuple[int, str]
    ids: np.ndarray
    matrix: np.ndarray
    row_of: dict[int, int]
    # An approximate index over the same rows, above EXACT_MAX vectors (see ann.py).
    ann: Any = None


class VectorIndex:
    """Cosine search over every current vector, held in memory.

    Reloaded when the stored vectors change (a cheap count/max query, at most every
    RECHECK_SECONDS), so several processes each keep their own copy and none serves
    stale rows for long. Exact search up to EXACT_MAX vectors, an HNSW index (usearch)
    above: the sizes bench/search.py measured (docs/benchmarks.md, "Search").
    """

    # Seconds a process trusts its copy before asking the database whether vectors changed.
    RECHECK_SECONDS = 2.0

    def __init__(self) -> None:
        self._state: VectorState | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._building = threading.Event()
        self._ann_ready = threading.Event()
        self._ann_ready.set()

    def reset(self) -> None:
        self._state = None
        self._checked = 0.0

    def _stamp(self) -> tuple[int, str]:
        # Two index seeks, not a count: counting a million rows on every recheck cost
        # more than the search. A vector removed without any other change (its paper
        # deleted) stays until the next change; results are joined to live papers.
        # Each is one index seek; MAX() of both in one query scanned every row instead.
        newest = PaperVector.objects.order_by("-paper_id").values_list("paper_id", flat=True)
        latest = (
            PaperVector.objects.filter(model=MODEL_KEY)
            .order_by("-embedded_at")
            .values_list("embedded_at", flat=True)
        )
        return (newest.first() or 0, str(latest.first()))

    def state(self) -> VectorState:
        st = self._state
        now = time.monotonic()
        recheck = self.RECHECK_SECONDS * (30 if st is not None and st.ann is not None else 1)
        if st is not None and now - self._checked < recheck:
            return st
        stamp = self._stamp()
        self._checked = now
        if st is not None and st.stamp == stamp:
            return st
        with self._lock:
            rows = PaperVector.objects.filter(model=MODEL_KEY).order_by("paper_id")
            pairs = list(rows.values_list("paper_id", "vector"))
            ids = np.array([p for p, _ in pairs], dtype=np.int64)
            if pairs:
                matrix = np.frombuffer(b"".join(bytes(v) for _, v in pairs), dtype="<f4")
                matrix = matrix.reshape(len(pairs), DIM)
            else:
                matrix = np.zeros((0, DIM), dtype=np.float32)
            new = VectorState(stamp, ids, matrix, {int(p): i for i, p in enumerate(ids)})
            if len(ids) > ann.exact_max():
                if st is not None and st.ann is not None:
                    # Apply what changed: quick, unlike a build.
                    new.ann = ann.update(st.ann, st, new)
                else:
                    self._build_ann_in_background(new)
            self._state = st = new
        return st

    def _build_ann_in_background(self, state: VectorState) -> None:
        """Build the HNSW index off the request path; search stays exact until it is ready.

        A build over a million vectors takes minutes on two cores.
        """
        if self._building.is_set() or not ann.available():
            return
        self._building.set()
        self._ann_ready.clear()

        def run() -> None:
            try:
                index = ann.build(state.ids, state.matrix)
                with self._lock:
                    current = self._state
                    if current is not None and current is not state:
                        index = ann.update(index, state, current)
                    (current or state).ann = index
            finally:
                self._building.clear()
                self._ann_ready.set()

        threading.Thread(target=run, name="paperwire-ann-build", daemon=True).start()

    def wait_for_ann(self, timeout: float | None = None) -> bool:
        """Block until a background index build finished (tests, benchmarks)."""
        return self._ann_ready.wait(timeout)

    def size(self) -> int:
        return len(self.state().ids)

    def search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> tuple[list[int], list[float]]:
        st = self.state()
        if not len(st.ids):
            return [], []
        if st.ann is not None and allowed is None:
            found = ann.search(st.ann, query, k + (exclude is not None))
            pairs = [(i, s) for i, s in zip(*found, strict=True) if i != exclude][:k]
            return [i for i, _ in pairs], [s for _, s in pairs]
        scores = st.matrix @ query.astype(np.float32)
        if allowed is not None:
            mask = np.isin(st.ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
            scores = np.where(mask, scores, -np.inf)
        if exclude is not None and exclude in st.row_of:
            scores[st.row_of[exclude]] = -np.inf
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        top = top[np.isfinite(scores[top])]
        return [int(st.ids[i]) for i in top], [float(scores[i]) for i in top]

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        st = self.state()
        row = st.row_of.get(paper_id)
        return None if row is None else st.matrix[row]

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        """Exact cosine of the query with each given paper that has a vector."""
        st = self.state()
        rows = [(pid, st.row_of[pid]) for pid in paper_ids if pid in st.row_of]
        if not rows:
            return {}
        sims = st.matrix[[r for _, r in rows]] @ query.astype(np.float32)
        return {pid: float(s) for (pid, _), s in zip(rows, sims, strict=True)}


class BackendVectorIndex(VectorIndex):
    """The in-memory index above on SQLite; on PostgreSQL, the database's own.

    There the vectors and their HNSW index live in the database (pg_search.py), kept
    current by triggers, so every web and worker process searches the same index and
    none holds a copy.
    """

    def search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> tuple[list[int], list[float]]:
        if connection.vendor == "postgresql":
            from paperwire.search import pg_search

            return pg_search.vector_search(query, k, allowed, exclude)
        return super().search(query, k, allowed, exclude)

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        if connection.vendor == "postgresql":
            from paperwire.search import pg_search

            return pg_search.vector_of(paper_id)
        return super().vector_of(paper_id)

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        if connection.vendor == "postgresql":
            from paperwire.search import pg_search

            return pg_search.cosines(query, paper_ids)
        return super().cosines(query, paper_ids)

    def size(self) -> int:
        if connection.vendor == "postgresql":
            from paperwire.search import pg_search

            return pg_search.vector_count()
        return super().size()


INDEX = BackendVectorIndex()


def query_vector(text: str) -> np.ndarray | None:
    """The query's embedding, or None when the model cannot run here."""
    try:
        return get_embedder().encode_query(text)
    except EmbeddingUnavailable:
        return None
