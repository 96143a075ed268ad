"""The approximate vector index of a snapshot: an inverted file (IVF) of numpy arrays.

The vectors are clustered by spherical k-means into about sqrt(n) lists and
stored list after list; a query scores the list centroids, then the rows of the
NPROBE best lists exactly (float32, one matrix-vector product per list). Chosen by
bench/search.py over HNSW (usearch, hnswlib, faiss): at a million vectors on two
shared cores an HNSW build took over an hour, this one minutes (matrix products),
and the whole index is plain arrays that every process memory-maps from the
snapshot (see snapshot.py). Below EXACT_MAX vectors the snapshot is one list:
exact search.
"""

from __future__ import annotations

import math
import os

import numpy as np

# Lists scanned per query; recall@10 against exact search is in docs/benchmarks.md.
NPROBE = 32
# k-means: rows sampled per list to train on, and rounds.
SAMPLE_PER_LIST = 32
ROUNDS = 6
# Rows assigned to lists per matrix product while building.
CHUNK = 65_536


def exact_max() -> int:
    """Vectors up to which search stays exact (PAPERWIRE_VECTOR_EXACT_MAX)."""
    try:
        return int(os.environ.get("PAPERWIRE_VECTOR_EXACT_MAX", "50000"))
    except ValueError:
        return 50_000


def nprobe() -> int:
    try:
        return max(1, int(os.environ.get("PAPERWIRE_VECTOR_NPROBE", str(NPROBE))))
    except ValueError:
        return NPROBE


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
