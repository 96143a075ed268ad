"""The approximate vector index of a snapshot, above EXACT_MAX vectors.

Two kinds, chosen by PAPERWIRE_VECTOR_INDEX:

- "hnsw" (default when usearch is installed): a usearch HNSW graph (cosine over
  8-bit quantized vectors, connectivity 16, expansion 64 on add and 128 on search),
  saved beside the snapshot's float32 rows and opened memory-mapped
  (`Index.restore(view=True)`) by every process. The caller asks it for many more
  candidates than it returns and re-scores them with the exact float32 rows: recall@10
  0.992 against exact search on 20,000 real MiniLM embeddings (docs/benchmarks.md).
  The 8-bit graph builds about 3 times faster than a float32 one and takes a quarter
  of the vector memory; a new snapshot extends the previous graph (`extend_hnsw`)
  instead of building it again.
- "ivf": an inverted file of plain numpy arrays: the rows clustered by spherical
  k-means into about sqrt(n) lists and stored list after list; a query scores the
  centroids, then exactly the rows of the NPROBE nearest lists. Built in about two
  minutes at a million vectors, but recall@10 only 0.92 at NPROBE 32 on the same
  real embeddings (bench/search.py --only recall).

Below EXACT_MAX vectors the snapshot is one list: exact search.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.envparse import env_int_or

# Lists scanned per query; recall@10 against exact search is in docs/benchmarks.md.
NPROBE = 32
# k-means: rows sampled per list to train on, and rounds.
SAMPLE_PER_LIST = 32
ROUNDS = 6
# Rows assigned to lists per matrix product while building.
CHUNK = 65_536


def exact_max() -> int:
    """Vectors up to which search stays exact (PAPERWIRE_VECTOR_EXACT_MAX)."""
    return env_int_or("PAPERWIRE_VECTOR_EXACT_MAX", 50_000)


# usearch HNSW parameters (the configuration whose recall bench/search.py measured).
# Saved in the snapshot's meta: a graph made with others is built again, not extended.
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128
HNSW_DTYPE = "i8"
# Candidates taken from the graph per search, then re-scored with the float32 rows.
CANDIDATES = 100
HNSW_PARAMS = {
    "dtype": HNSW_DTYPE,
    "connectivity": CONNECTIVITY,
    "expansion_add": EXPANSION_ADD,
}


def kind() -> str:
    """ "hnsw" or "ivf" (PAPERWIRE_VECTOR_INDEX; hnsw needs usearch)."""
    wanted = os.environ.get("PAPERWIRE_VECTOR_INDEX", "hnsw").strip().lower()
    if wanted == "hnsw" and not hnsw_available():
        return "ivf"
    return "ivf" if wanted == "ivf" else "hnsw"


def hnsw_available() -> bool:
    # onnxruntime crashes the process (SIGSEGV) when it is imported after usearch
    # (onnxruntime 1.32.0, usearch 2.26.6): whoever loads usearch loads it first.
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


# Told (rows added so far, rows to add) while a graph is built.
Progress = Callable[[int, int], None]


def build_hnsw(ids: np.ndarray, matrix: np.ndarray, progress: Progress | None = None) -> Any:
    hnsw_available()  # import order, see there
    from usearch.index import Index

    index = Index(
        ndim=matrix.shape[1],
        metric="cos",
        dtype=HNSW_DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )
    _add(index, ids, matrix, progress)
    return index


def extend_hnsw(
    path: Path,
    drop: np.ndarray,
    ids: np.ndarray,
    matrix: np.ndarray,
    progress: Progress | None = None,
) -> Any:
    """The saved graph at `path`, loaded into memory, without the paper ids `drop`
    (deleted or re-embedded) and with the rows `matrix` added under `ids`."""
    hnsw_available()  # import order, see there
    from usearch.index import Index

    index = Index.restore(str(path), view=False)
    if index is None:
        raise ValueError(f"{path} is not a usearch index")
    index.expansion_add = EXPANSION_ADD  # type: ignore[misc]  # has a setter
    index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # has a setter
    if len(drop):
        index.remove(np.asarray(drop, dtype=np.uint64), compact=False)
    _add(index, ids, matrix, progress)
    return index


def _add(index: Any, ids: np.ndarray, matrix: np.ndarray, progress: Progress | None) -> None:
    total = len(ids)
    for s in range(0, total, CHUNK):
        index.add(
            np.asarray(ids[s : s + CHUNK], dtype=np.uint64),
            np.ascontiguousarray(matrix[s : s + CHUNK], dtype=np.float32),
            threads=os.cpu_count() or 1,
            progress=None if progress is None else _told(progress, s, total),
        )
    if progress is not None:
        progress(total, total)


def _told(progress: Progress, offset: int, total: int) -> Callable[[int, int], bool]:
    """usearch's progress callback for one chunk: it must be (int, int) -> bool, which
    usearch checks by the signature's real annotations (not the strings of this module)."""

    def told(done: int, _of: int) -> bool:
        progress(offset + done, total)
        return True  # go on

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    told.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("done", kind, annotation=int),
            inspect.Parameter("of", kind, annotation=int),
        ],
        return_annotation=bool,
    )
    return told


def open_hnsw(path: Path) -> Any:
    """The saved graph, memory-mapped read-only; None when usearch is missing."""
    if not hnsw_available():
        return None
    from usearch.index import Index

    index = Index.restore(str(path), view=True)
    if index is not None:
        index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # has a setter
    return index


def search_hnsw(index: Any, query: np.ndarray, k: int) -> np.ndarray:
    """Paper ids of the approximate top k (the caller re-scores them exactly)."""
    k = min(k, len(index))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(index.search(query.astype(np.float32), k).keys, dtype=np.int64)


def nprobe() -> int:
    return max(1, env_int_or("PAPERWIRE_VECTOR_NPROBE", NPROBE))


def list_count(n: int) -> int:
    return 1 if n <= exact_max() else max(2, round(math.sqrt(n)))


def train(matrix: np.ndarray, lists: int, seed: int = 0) -> np.ndarray:
    """Unit-length centroids of `lists` clusters (spherical k-means on a sample)."""
    n = len(matrix)
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(n, size=min(n, lists * SAMPLE_PER_LIST), replace=False))
    sample = np.asarray(matrix[take], dtype=np.float32)
    centroids = sample[rng.choice(len(sample), size=lists, replace=False)].copy()
    for _ in range(ROUNDS):
        near = np.argmax(sample @ centroids.T, axis=1)
        order = np.argsort(near, kind="stable")
        bounds = np.searchsorted(near[order], np.arange(lists + 1))
        for c in range(lists):
            s, e = bounds[c], bounds[c + 1]
            if e > s:
                centroids[c] = sample[order[s:e]].sum(axis=0)
            else:  # an empty list restarts at a random row
                centroids[c] = sample[rng.integers(len(sample))]
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return centroids


def assign(matrix: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The nearest centroid of every row, a chunk of rows per matrix product."""
    out = np.empty(len(matrix), dtype=np.int32)
    for s in range(0, len(matrix), CHUNK):
        block = np.asarray(matrix[s : s + CHUNK], dtype=np.float32)
        out[s : s + len(block)] = np.argmax(block @ centroids.T, axis=1)
    return out


def search(
    matrix: np.ndarray,
    centroids: np.ndarray,
    offsets: np.ndarray,
    query: np.ndarray,
    k: int,
    probe: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, cosines) of the best k rows in the `probe` nearest lists."""
    lists = len(offsets) - 1
    probe = min(probe or nprobe(), lists)
    if lists == 1:
        chosen = np.array([0])
    else:
        near = centroids @ query
        chosen = np.argpartition(-near, probe - 1)[:probe]
    pos = [np.arange(offsets[c], offsets[c + 1]) for c in chosen]
    scores = [matrix[offsets[c] : offsets[c + 1]] @ query for c in chosen]
    all_pos = np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64)
    all_scores = np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)
    k = min(k, len(all_scores))
    if k <= 0:
        return all_pos[:0], all_scores[:0]
    top = np.argpartition(-all_scores, k - 1)[:k]
    top = top[np.argsort(-all_scores[top])]
    return all_pos[top], all_scores[top]
