"""One query's two rankings made one: fusion, the cosine floor, and dense feedback.

Every ranker gives `(ids, scores)`, best first (fusion.py); so does `fuse`.
"""

from __future__ import annotations

import numpy as np

from paperwire.search.backends import search_backend
from paperwire.search.fusion import FusionParams, Ranked, convex_fuse, rrf_fuse
from paperwire.search.plan import query_terms
from paperwire.search.query import ParsedQuery

# A paper only the dense ranker found is shown when at least this close to the query.
MIN_DENSE_COSINE = 0.25


def keep_only(ranked: Ranked, keep: set[int]) -> Ranked:
    pairs = [(i, s) for i, s in zip(*ranked, strict=True) if i in keep]
    return [i for i, _ in pairs], [s for _, s in pairs]


def fuse(
    q: ParsedQuery,
    kw: Ranked,
    dense: Ranked,
    vec: np.ndarray | None,
    params: FusionParams,
    allowed: set[int] | None = None,
) -> Ranked:
    """The fused ranking of a query's keyword and dense rankings.

    With `params.feedback_docs`, the query vector is moved towards the vectors of the
    first fused papers (Rocchio pseudo-relevance feedback on the dense side: one more
    vector search, no more keyword queries) and the lists are fused again.
    """
    alpha = params.alpha_for(len(query_terms(q)))
    ids, scores = _fuse_once(kw, dense, vec, params, alpha)
    if params.feedback_docs and vec is not None and ids:
        moved = _feedback(vec, ids[: params.feedback_docs], params.feedback_weight)
        if moved is not None:
            dense = search_backend().vector_search(moved, params.depth, allowed=allowed)
            if q.phrases:
                dense = keep_only(dense, set(kw[0]))
            ids, scores = _fuse_once(kw, dense, moved, params, alpha)
    return ids, scores


def _feedback(vec: np.ndarray, top: list[int], weight: float) -> np.ndarray | None:
    backend = search_backend()
    vectors = [v for v in (backend.vector_of(i) for i in top) if v is not None]
    if not vectors:
        return None
    moved = np.asarray(vec, dtype=np.float32) + weight * np.mean(vectors, axis=0)
    return (moved / max(float(np.linalg.norm(moved)), 1e-12)).astype(np.float32)


def _fuse_once(
    kw: Ranked, dense: Ranked, vec: np.ndarray | None, params: FusionParams, alpha: float
) -> Ranked:
    if params.method == "rrf":
        w = params.dense_weight
        fused = rrf_fuse([kw, dense], [1 - w, w], params.rrf_k)
        return _drop_weak(fused, dense, kw)
    cos = dict(zip(*dense, strict=True))
    if vec is not None:
        # Exact cosines for keyword hits outside the dense top-k.
        missing = [i for i in kw[0][: params.depth] if i not in cos]
        cos.update(search_backend().cosines(vec, missing))
    fused = convex_fuse((kw[0][: params.depth], kw[1][: params.depth]), cos, alpha)
    ids, scores = _drop_weak(fused, dense, kw)
    # Keyword matches past the fusion depth follow, in BM25 order.
    seen = set(ids)
    tail = [i for i in kw[0][params.depth :] if i not in seen]
    return ids + tail, scores + [0.0] * len(tail)


def _drop_weak(fused: Ranked, dense: Ranked, kw: Ranked) -> Ranked:
    """Papers that only the dense ranker found, and only faintly, are not results."""
    matched = set(kw[0])
    cos = dict(zip(*dense, strict=True))
    pairs = [
        (i, s)
        for i, s in zip(*fused, strict=True)
        if i in matched or cos.get(i, 1.0) >= MIN_DENSE_COSINE
    ]
    return [i for i, _ in pairs], [s for _, s in pairs]
