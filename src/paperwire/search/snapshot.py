"""Vector snapshots: every stored vector written once to files that all processes map.

A snapshot is a directory under `<PAPERWIRE_DATA_DIR>/vector-index/`:

    vectors.npy  every float32 row, list after list of the inverted file (ann.py)
    ids.npy      the paper id of each row (int64)
    centroids.npy, offsets.npy   the lists: centroid, and where each list's rows start
    sorted_ids.npy, order.npy    paper ids ascending, and the row of each (lookups)
    hnsw.usearch the HNSW graph over the rows, when ann.kind() is "hnsw"
    meta.json    model key, row count, and `since`: the newest embedded_at it holds

`current` (a one-line file) names the snapshot in use. A build writes a new
directory under a temporary name, renames it into place and then replaces
`current` with os.replace, so a reader sees either the old snapshot or the new
one, never half of one; two processes building at once each write their own
directory (a lock file makes the second one skip instead). Vectors embedded after
`since` are the *delta*: each process reads them from the database and searches
them exactly beside the snapshot (see vectors.py), so nothing waits for a rebuild.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from paperwire.envparse import env_int_or
from paperwire.search import ann
from paperwire.search.embeddings import DIM, MODEL_KEY

CURRENT = "current"
LOCK = "build.lock"
# Rows read from the database per fetch while writing a snapshot.
FETCH = 10_000


def delta_max() -> int:
    """Vectors newer than the snapshot above which a new one is built."""
    return env_int_or("PAPERWIRE_VECTOR_DELTA_MAX", 10_000)


def root() -> Path:
    return Path(settings.DATA_DIR) / "vector-index"


@dataclass
class Snapshot:
    path: Path
    ids: np.ndarray
    matrix: np.ndarray
    centroids: np.ndarray
    offsets: np.ndarray
    sorted_ids: np.ndarray
    order: np.ndarray
    since: str
    built_at: float = 0.0
    build_seconds: float = 0.0
    hnsw: Any = None
    # The graph's build parameters (ann.HNSW_PARAMS) and how many removed entries it holds.
    hnsw_params: dict[str, Any] | None = None
    hnsw_removed: int = 0

    def due(self) -> bool:
        """Old enough to be replaced: at most a third of the time goes to building."""
        return time.time() - self.built_at > 2 * self.build_seconds

    def row(self, paper_id: int) -> int | None:
        i = int(np.searchsorted(self.sorted_ids, paper_id))
        if i < len(self.sorted_ids) and int(self.sorted_ids[i]) == paper_id:
            return int(self.order[i])
        return None

    def rows(self, paper_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows of the paper ids found, mask of which of paper_ids were found)."""
        if not len(self.sorted_ids):
            return np.zeros(0, dtype=np.int64), np.zeros(len(paper_ids), dtype=bool)
        i = np.searchsorted(self.sorted_ids, paper_ids)
        i = np.minimum(i, len(self.sorted_ids) - 1)
        hit = self.sorted_ids[i] == paper_ids
        return np.asarray(self.order[i[hit]]), hit

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(paper ids, exact cosines) of the approximate top k (exact when one list)."""
        if self.hnsw is not None:
            # The graph ranks 8-bit vectors: ask it for more than k and keep the k best
            # by exact cosine (recall@10 in docs/benchmarks.md is measured this way).
            found = ann.search_hnsw(self.hnsw, query, max(k, ann.CANDIDATES))
            rows, hit = self.rows(found)
            order = np.argsort(rows)
            rows, ids = rows[order], found[hit][order]
            scores = np.asarray(self.matrix[rows]) @ query
            best = np.argsort(-scores, kind="stable")[:k]
            return ids[best], scores[best]
        pos, scores = ann.search(self.matrix, self.centroids, self.offsets, query, k)
        return np.asarray(self.ids[pos]), scores


def current_name() -> str | None:
    try:
        return (root() / CURRENT).read_text().strip() or None
    except OSError:
        return None


def open_current() -> Snapshot | None:
    """The snapshot `current` names, memory-mapped; None when there is none (or unusable)."""
    name = current_name()
    if name is None:
        return None
    path = root() / name
    try:
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("model") != MODEL_KEY or meta.get("dim") != DIM:
            return None
        arrays = {
            name: np.load(path / f"{name}.npy", mmap_mode="r")
            for name in ("ids", "vectors", "centroids", "offsets", "sorted_ids", "order")
        }
        hnsw = ann.open_hnsw(path / "hnsw.usearch") if meta.get("hnsw") else None
    except (OSError, ValueError, RuntimeError):
        return None
    if meta.get("hnsw") and hnsw is None:
        return None  # made with usearch, which this process lacks
    n = meta.get("count")
    shapes_ok = (
        len(arrays["ids"]) == n == len(arrays["sorted_ids"]) == len(arrays["order"])
        and arrays["vectors"].shape == (n, DIM)
        and len(arrays["offsets"]) == len(arrays["centroids"]) + 1
        and int(arrays["offsets"][-1]) == n
    )
    if not shapes_ok:
        return None
    return Snapshot(
        path=path,
        ids=arrays["ids"],
        matrix=arrays["vectors"],
        centroids=np.asarray(arrays["centroids"]),
        offsets=np.asarray(arrays["offsets"]),
        sorted_ids=arrays["sorted_ids"],
        order=arrays["order"],
        since=meta["since"],
        built_at=float(meta.get("built_at", 0.0)),
        build_seconds=float(meta.get("build_seconds", 0.0)),
        hnsw=hnsw,
        hnsw_params=meta.get("hnsw_params"),
        hnsw_removed=int(meta.get("hnsw_removed") or 0),
    )


@contextlib.contextmanager
def _build_lock() -> Iterator[bool]:
    """True when this process may build (no other build holds the lock)."""
    root().mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock (Windows): builds may overlap, which is only wasted work
        yield True
        return
    with open(root() / LOCK, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Told (stage, done, total) while a snapshot is written: "reading vectors", "indexing".
BuildProgress = Callable[[str, int, int], None]


def build(progress: BuildProgress | None = None) -> Path | None:
    """Write a snapshot of every current vector and make it current.

    Returns its directory, or None when another process is building one right now.
    Takes minutes at a million vectors (reading them, k-means, writing them in list
    order); callers that serve requests run it in a background thread.
    """
    with _build_lock() as mine:
        if not mine:
            return None
        return _write(progress)


def _since() -> str:
    from paperwire.search.models import PaperVector

    newest = (
        PaperVector.objects.filter(model=MODEL_KEY)
        .order_by("-embedded_at")
        .values_list("embedded_at", flat=True)
        .first()
    )
    return newest.isoformat() if newest else ""


def _write(progress: BuildProgress | None = None) -> Path:
    top = root()
    started = time.time()
    # Read first: rows stored while the snapshot is written are newer, so in the delta.
    since = _since()
    previous = open_current()
    removed = 0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM search_papervector WHERE model = %s", [MODEL_KEY])
        count = int(cur.fetchone()[0])
    name = f"snap-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = top / f".tmp-{name}"
    tmp.mkdir(parents=True)
    try:
        ids, n = _dump(tmp, count, progress)
        hnsw = n > ann.exact_max() and ann.kind() == "hnsw"
        lists = 1 if hnsw else ann.list_count(n)
        by_id = np.load(tmp / "by_id.npy", mmap_mode="r")
        if lists > 1:
            centroids = ann.train(by_id, lists)
            near = ann.assign(by_id, centroids)
            perm = np.argsort(near, kind="stable")
            offsets = np.searchsorted(near[perm], np.arange(lists + 1)).astype(np.int64)
            out = np.lib.format.open_memmap(
                tmp / "vectors.npy", mode="w+", dtype="<f4", shape=(n, DIM)
            )
            for s in range(0, n, ann.CHUNK):
                out[s : s + ann.CHUNK] = by_id[np.sort(perm[s : s + ann.CHUNK])][
                    np.argsort(np.argsort(perm[s : s + ann.CHUNK]))
                ]
            out.flush()
            del out, by_id
            (tmp / "by_id.npy").unlink()
        else:
            centroids = np.zeros((1, DIM), dtype=np.float32)
            perm = np.arange(n)
            offsets = np.array([0, n], dtype=np.int64)
            if hnsw:
                indexing = None if progress is None else partial(progress, "indexing")
                graph, removed = _hnsw_graph(ids, by_id, previous, indexing)
                graph.save(str(tmp / "hnsw.usearch"))
                del graph
            del by_id
            os.replace(tmp / "by_id.npy", tmp / "vectors.npy")
        order = np.empty(n, dtype=np.int64)
        order[perm] = np.arange(n)
        np.save(tmp / "ids.npy", ids[perm])
        np.save(tmp / "sorted_ids.npy", ids)
        np.save(tmp / "order.npy", order)
        np.save(tmp / "centroids.npy", centroids.astype(np.float32))
        np.save(tmp / "offsets.npy", offsets)
        meta = {
            "model": MODEL_KEY,
            "dim": DIM,
            "count": n,
            "lists": lists,
            "hnsw": hnsw,
            "hnsw_params": ann.HNSW_PARAMS if hnsw else None,
            "hnsw_removed": removed,
            "since": since,
            "built_at": time.time(),
            "build_seconds": round(time.time() - started, 3),
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        final = top / name
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer = top / f".{CURRENT}-{name}"
    pointer.write_text(name + "\n")
    os.replace(pointer, top / CURRENT)
    _remove_old(keep={name})
    return final


def _hnsw_graph(
    ids: np.ndarray,
    by_id: np.ndarray,
    previous: Snapshot | None,
    progress: ann.Progress | None = None,
) -> tuple[Any, int]:
    """The HNSW graph over `ids` (ascending) and their rows, and how many removed entries
    it carries: the previous snapshot's graph extended when it can be, else a new one.

    A row embedded after the previous snapshot's `since` is new or re-embedded: it is
    removed from the old graph (when there) and added again; a paper gone since is
    removed. Removed entries stay in the graph as tombstones, so once they or the
    changes are many, the graph is built again from scratch.
    """
    plan = _extension(ids, previous)
    if plan is None:
        return ann.build_hnsw(ids, by_id, progress), 0
    path, drop, add, carried = plan
    rows = np.nonzero(add)[0]
    graph = ann.extend_hnsw(path, drop, ids[rows], np.asarray(by_id[rows]), progress)
    return graph, carried + len(drop)


def _extension(
    ids: np.ndarray, previous: Snapshot | None
) -> tuple[Path, np.ndarray, np.ndarray, int] | None:
    """(old graph, paper ids to drop from it, mask of `ids` to add, tombstones it has),
    or None when the previous snapshot's graph cannot or should not be extended."""
    if previous is None or previous.hnsw is None or not previous.since:
        return None
    if previous.hnsw_params != ann.HNSW_PARAMS:
        return None
    from paperwire.search.models import PaperVector

    changed = np.fromiter(
        PaperVector.objects.filter(
            model=MODEL_KEY, embedded_at__gt=dt.datetime.fromisoformat(previous.since)
        ).values_list("paper_id", flat=True),
        dtype=np.int64,
    )
    old = np.asarray(previous.sorted_ids)
    drop = np.union1d(np.setdiff1d(old, ids), np.intersect1d(old, changed))
    add = ~np.isin(ids, old) | np.isin(ids, changed)
    carried = previous.hnsw_removed
    # Tombstones slow every search a little and new rows join a graph they did not
    # shape: past a fifth of the rows, build afresh.
    if carried + len(drop) + int(add.sum()) > len(ids) // 5:
        return None
    return previous.path / "hnsw.usearch", drop, add, carried


def _dump(tmp: Path, count: int, progress: BuildProgress | None = None) -> tuple[np.ndarray, int]:
    """Every current vector into tmp/by_id.npy in paper id order: (ids, rows written)."""
    ids = np.zeros(count, dtype=np.int64)
    matrix = np.lib.format.open_memmap(
        tmp / "by_id.npy", mode="w+", dtype="<f4", shape=(count, DIM)
    )
    n = 0
    with connection.cursor() as cur:
        cur.execute(
            "SELECT paper_id, vector FROM search_papervector WHERE model = %s ORDER BY paper_id",
            [MODEL_KEY],
        )
        while n < count and (rows := cur.fetchmany(FETCH)):
            rows = rows[: count - n]
            ids[n : n + len(rows)] = [r[0] for r in rows]
            blob = b"".join(bytes(r[1]) for r in rows)
            matrix[n : n + len(rows)] = np.frombuffer(blob, dtype="<f4").reshape(-1, DIM)
            n += len(rows)
            if progress is not None:
                progress("reading vectors", n, count)
    matrix.flush()
    del matrix
    if n < count:  # rows deleted while reading: keep only what was read
        part = np.asarray(np.load(tmp / "by_id.npy", mmap_mode="r")[:n])
        np.save(tmp / "by_id.part.npy", part)
        os.replace(tmp / "by_id.part.npy", tmp / "by_id.npy")
    return ids[:n], n


def _remove_old(keep: set[str]) -> None:
    """Delete snapshots older than the current one (and abandoned temporary ones).

    A process still searching an older snapshot keeps its mapped files: on POSIX a
    removed file lives until its last mapping is closed. The one before the
    current one is kept a while for platforms where that is not so.
    """
    top = root()
    dirs = [p for p in top.iterdir() if p.is_dir() and p.name not in keep]
    olds = sorted((p for p in dirs if p.name.startswith("snap-")), key=lambda p: p.name)
    now = time.time()
    # Temporary directories of builds that died (a running build is younger than a day).
    gone = [p for p in dirs if p.name.startswith(".tmp-") and now - p.stat().st_mtime > 86400]
    for p in [*olds[:-1], *gone]:
        shutil.rmtree(p, ignore_errors=True)
