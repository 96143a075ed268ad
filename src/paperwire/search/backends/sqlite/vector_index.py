"""SQLite's vector index: every current vector, searched in this process.

A shared snapshot (snapshot.py: files every process memory-maps, with an approximate
index above EXACT_MAX vectors, ann.py) plus a small delta of the vectors embedded since,
read from search_papervector and searched exactly. Every ranker here returns
`(paper ids, scores)`, best first.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection

from paperwire.search import snapshot
from paperwire.search.embeddings import DIM, MODEL_KEY
from paperwire.search.models import PaperVector


@dataclass
class VectorState:
    stamp: tuple[int, str]
    # Every vector up to a point, in files every process maps (None: not built yet).
    snap: snapshot.Snapshot | None
    # The delta: vectors embedded after the snapshot, searched exactly, ids ascending.
    ids: np.ndarray
    matrix: np.ndarray
    row_of: dict[int, int]
    # Snapshot ids whose vector the delta replaces (sorted).
    shadowed: np.ndarray
    count: int

    @property
    def snap_name(self) -> str | None:
        return None if self.snap is None else self.snap.path.name


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[list[int], list[float]]:
    k = min(k, len(scores))
    if k <= 0:
        return [], []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    top = top[np.isfinite(scores[top])]
    return [int(ids[i]) for i in top], [float(scores[i]) for i in top]


class VectorIndex:
    """Cosine search over every current vector: a shared snapshot plus a small delta.

    The snapshot (snapshot.py) is built once, saved under the data directory and
    memory-mapped by every process: float32 rows, stored as the lists of an
    inverted file above EXACT_MAX vectors (ann.py). Vectors embedded since the
    snapshot are read from the database and searched exactly; once they are more
    than DELTA_MAX, a new snapshot is built in a background thread (at most one
    build per data directory at a time). Each
    process re-checks the newest vector and the current snapshot at most every
    RECHECK_SECONDS (two index seeks and one small file read).
    """

    RECHECK_SECONDS = 2.0

    def __init__(self) -> None:
        self._state: VectorState | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._building = threading.Event()
        self._built = threading.Event()
        self._built.set()

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
        if st is not None and now - self._checked < self.RECHECK_SECONDS:
            return st
        stamp = self._stamp()
        name = snapshot.current_name()
        self._checked = now
        if st is not None and st.stamp == stamp and st.snap_name == name:
            return st
        with self._lock:
            snap = st.snap if st is not None and st.snap_name == name else snapshot.open_current()
            self._state = st = self._load(stamp, snap)
        if len(st.ids) > snapshot.delta_max() and (st.snap is None or st.snap.due()):
            self.build_in_background()
        return st

    def _load(self, stamp: tuple[int, str], snap: snapshot.Snapshot | None) -> VectorState:
        rows = PaperVector.objects.filter(model=MODEL_KEY)
        if snap is not None and snap.since:
            rows = rows.filter(embedded_at__gt=dt.datetime.fromisoformat(snap.since))
        pairs = list(rows.order_by("paper_id").values_list("paper_id", "vector"))
        ids = np.array([p for p, _ in pairs], dtype=np.int64)
        if pairs:
            matrix = np.frombuffer(b"".join(bytes(v) for _, v in pairs), dtype="<f4")
            matrix = matrix.reshape(len(pairs), DIM)
        else:
            matrix = np.zeros((0, DIM), dtype=np.float32)
        shadowed = np.zeros(0, dtype=np.int64)
        count = len(ids)
        if snap is not None:
            _, hit = snap.rows(ids)
            shadowed = ids[hit]
            count += len(snap.ids) - len(shadowed)
        return VectorState(
            stamp, snap, ids, matrix, {int(p): i for i, p in enumerate(ids)}, shadowed, count
        )

    def build_in_background(self) -> None:
        """Write a new snapshot off the request path; search uses the old one meanwhile.

        A build over a million vectors takes minutes on two cores.
        """
        if self._building.is_set():
            return
        self._building.set()
        self._built.clear()

        def run() -> None:
            try:
                snapshot.build()
            finally:
                connection.close()
                self._checked = 0.0
                self._building.clear()
                self._built.set()

        threading.Thread(target=run, name="paperwire-vector-snapshot", daemon=True).start()

    def wait_for_build(self, timeout: float | None = None) -> bool:
        """Block until a background snapshot build finished (tests, benchmarks)."""
        return self._built.wait(timeout)

    def size(self) -> int:
        return self.state().count

    def search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None, exclude: int | None = None
    ) -> tuple[list[int], list[float]]:
        st = self.state()
        q = np.asarray(query, dtype=np.float32)
        allow = None
        if allowed is not None:
            allow = np.sort(np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        found: list[tuple[list[int], list[float]]] = []
        if len(st.ids):
            scores = st.matrix @ q
            if allow is not None:
                scores = np.where(np.isin(st.ids, allow), scores, -np.inf)
            if exclude is not None and exclude in st.row_of:
                scores[st.row_of[exclude]] = -np.inf
            found.append(_top(st.ids, scores, k))
        if st.snap is not None and len(st.snap.ids):
            found.append(self._search_snapshot(st, q, k, allow, exclude))
        pairs = sorted(
            ((i, s) for ids, scores in found for i, s in zip(ids, scores, strict=True)),
            key=lambda p: -p[1],
        )[:k]
        return [i for i, _ in pairs], [s for _, s in pairs]

    def _search_snapshot(
        self,
        st: VectorState,
        q: np.ndarray,
        k: int,
        allow: np.ndarray | None,
        exclude: int | None,
    ) -> tuple[list[int], list[float]]:
        snap = st.snap
        assert snap is not None
        if allow is None:
            # Over-fetch by the rows the delta replaces, then drop those.
            extra = min(len(st.shadowed), 1000) + (exclude is not None)
            ids, scores = snap.search(q, k + extra)
            keep = np.ones(len(ids), dtype=bool)
            if len(st.shadowed):
                keep &= ~np.isin(ids, st.shadowed)
            if exclude is not None:
                keep &= ids != exclude
            return _top(ids[keep], scores[keep], k)
        # Filtered: exact over the allowed rows.
        rows, hit = snap.rows(allow)
        allowed_ids = allow[hit]
        if len(st.shadowed):
            fresh = ~np.isin(allowed_ids, st.shadowed)
            rows, allowed_ids = rows[fresh], allowed_ids[fresh]
        if exclude is not None:
            other = allowed_ids != exclude
            rows, allowed_ids = rows[other], allowed_ids[other]
        if not len(rows):
            return [], []
        order = np.argsort(rows)
        rows, allowed_ids = rows[order], allowed_ids[order]
        return _top(allowed_ids, np.asarray(snap.matrix[rows]) @ q, k)

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        st = self.state()
        row = st.row_of.get(paper_id)
        if row is not None:
            return st.matrix[row]
        if st.snap is not None and (row := st.snap.row(paper_id)) is not None:
            return np.asarray(st.snap.matrix[row])
        return None

    def cosines(self, query: np.ndarray, paper_ids: list[int]) -> dict[int, float]:
        """Exact cosine of the query with each given paper that has a vector."""
        st = self.state()
        q = np.asarray(query, dtype=np.float32)
        out = {}
        rest = []
        for pid in paper_ids:
            row = st.row_of.get(pid)
            if row is not None:
                out[pid] = float(st.matrix[row] @ q)
            else:
                rest.append(pid)
        if rest and st.snap is not None:
            wanted = np.array(rest, dtype=np.int64)
            rows, hit = st.snap.rows(wanted)
            if len(rows):
                order = np.argsort(rows)
                sims = np.asarray(st.snap.matrix[rows[order]]) @ q
                for pid, sim in zip(wanted[hit][order].tolist(), sims.tolist(), strict=True):
                    out[pid] = float(sim)
        return out


def delta_size() -> int:
    """Vectors the current snapshot does not hold (all of them without a snapshot)."""
    snap = snapshot.open_current()
    rows = PaperVector.objects.filter(model=MODEL_KEY)
    if snap is not None and snap.since:
        rows = rows.filter(embedded_at__gt=dt.datetime.fromisoformat(snap.since))
    return rows.count()


def refresh_snapshot(force: bool = False, progress: snapshot.BuildProgress | None = None) -> bool:
    """Build a new vector snapshot when the delta outgrew DELTA_MAX (or when forced).

    Returns whether this call built one (False also when another process is building).
    Called when embedding caught up (`paperwire embed`, the worker); web processes
    also start a build in the background when they see a large delta, so a site
    without a worker catches up too.
    """
    if not force and delta_size() <= snapshot.delta_max():
        return False
    built = snapshot.build(progress) is not None
    INDEX.reset()
    return built


# One per process: the snapshot is mapped once, whatever thread or connection asks.
INDEX = VectorIndex()
