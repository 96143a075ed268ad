"""The approximate vector index used above EXACT_MAX vectors: usearch HNSW.

Chosen by bench/search.py (recall@10 against exact search on real MiniLM
embeddings; latency at 100k and 1M). Below EXACT_MAX, exact numpy search is as
fast and needs no build. The index is kept in step with the stored vectors
incrementally: rows added, changed or removed since the last load are applied
instead of rebuilding.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128


def exact_max() -> int:
    """Vectors up to which search stays exact (PAPERWIRE_VECTOR_EXACT_MAX)."""
    try:
        return int(os.environ.get("PAPERWIRE_VECTOR_EXACT_MAX", "50000"))
    except ValueError:
        return 50_000


def available() -> bool:
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


def build(ids: np.ndarray, matrix: np.ndarray) -> Any:
    from usearch.index import Index

    index = Index(
        ndim=matrix.shape[1],
        metric="cos",
        dtype="f32",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )
    if len(ids):
        index.add(ids, matrix, threads=os.cpu_count() or 1)
    return index


def update(index: Any, old: Any, new: Any) -> Any:
    """The index for state `new`, from the index of state `old` when there is one.

    None when usearch is not installed (search stays exact).
    """
    if not available():
        return None
    if index is None or old is None:
        return build(new.ids, new.matrix)
    added = [i for i in new.ids.tolist() if i not in old.row_of]
    removed = [i for i in old.ids.tolist() if i not in new.row_of]
    common = [i for i in new.ids.tolist() if i in old.row_of]
    if common:
        a = old.matrix[[old.row_of[i] for i in common]]
        b = new.matrix[[new.row_of[i] for i in common]]
        changed = [i for i, diff in zip(common, np.any(a != b, axis=1), strict=True) if diff]
    else:
        changed = []
    gone = removed + changed
    if gone:
        index.remove(np.array(gone, dtype=np.uint64))
    fresh = added + changed
    if fresh:
        rows = [new.row_of[i] for i in fresh]
        index.add(np.array(fresh, dtype=np.uint64), new.matrix[rows])
    return index


def search(index: Any, query: np.ndarray, k: int) -> tuple[list[int], list[float]]:
    """(ids, cosine similarities), best first."""
    k = min(k, len(index))
    if k <= 0:
        return [], []
    found = index.search(query.astype(np.float32), k)
    return [int(i) for i in found.keys], [1.0 - float(d) for d in found.distances]
