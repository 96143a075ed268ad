"""Fusing ranked lists. Every ranker gives `(ids, scores)`, best first; so do these.

Plain RRF keeps only ranks and throws away how far ahead the top hit is, which
loses known-item queries to BM25 alone; the default is therefore a convex
combination of normalized scores, with RRF kept for comparison (bench/search.py).
"""

from __future__ import annotations

from dataclasses import dataclass

Ranked = tuple[list[int], list[float]]


@dataclass(frozen=True)
class FusionParams:
    method: str = "convex"  # "convex" | "rrf"
    # Convex: weight of the dense score; 1 - alpha goes to BM25.
    alpha: float = 0.5
    # RRF: k, and the weight of the dense list (BM25's is 1 - dense_weight).
    rrf_k: int = 60
    dense_weight: float = 0.5
    # How many candidates each ranker contributes.
    depth: int = 100
    # Fusion per query shape: queries of at least `long_terms` words (sentences, claims,
    # questions) weigh the dense score by `long_alpha` instead (0: off).
    long_terms: int = 0
    long_alpha: float = 0.5
    # Dense pseudo-relevance feedback: the query vector plus `feedback_weight` x the mean
    # vector of the first `feedback_docs` fused papers, searched and fused again (0: off).
    feedback_docs: int = 0
    feedback_weight: float = 0.0

    def alpha_for(self, terms: int) -> float:
        """The dense weight for a query of `terms` words (stop words left out)."""
        return self.long_alpha if self.long_terms and terms >= self.long_terms else self.alpha


def normalize_bm25(scores: list[float]) -> list[float]:
    """BM25 scores (higher is better) to [0, 1] by the best score of this query.

    Dividing by the maximum (not min-max) keeps "how close to the top" meaningful
    when only a few papers match.
    """
    if not scores:
        return []
    top = max(scores)
    return [s / top if top > 0 else 0.0 for s in scores]


def normalize_cosine(scores: list[float], floor: float = 0.0) -> list[float]:
    """Cosines to [0, 1]: min-max over the candidates, with `floor` as the minimum used."""
    if not scores:
        return []
    lo = min(min(scores), floor) if floor else min(scores)
    hi = max(scores)
    span = hi - lo
    return [(s - lo) / span if span > 1e-9 else 1.0 for s in scores]


def convex_fuse(keyword: Ranked, dense: dict[int, float], alpha: float) -> Ranked:
    """alpha * normalized cosine + (1 - alpha) * normalized BM25, over the union.

    `dense` holds the exact cosine of every candidate (from either list), so a
    paper only BM25 found is not punished for missing from the dense top-k.
    """
    kw = dict(zip(keyword[0], normalize_bm25(keyword[1]), strict=True))
    ids = list(dict.fromkeys([*keyword[0], *dense]))
    cos_ids = [i for i in ids if i in dense]
    cos = dict(zip(cos_ids, normalize_cosine([dense[i] for i in cos_ids]), strict=True))
    fused = {i: alpha * cos.get(i, 0.0) + (1 - alpha) * kw.get(i, 0.0) for i in ids}
    order = sorted(ids, key=lambda i: -fused[i])
    return order, [fused[i] for i in order]


def rrf_fuse(lists: list[Ranked], weights: list[float] | None = None, k: int = 60) -> Ranked:
    """Weighted reciprocal rank fusion: sum of w / (k + rank)."""
    weights = weights or [1.0] * len(lists)
    fused: dict[int, float] = {}
    for (ids, _), w in zip(lists, weights, strict=True):
        for rank, pid in enumerate(ids, start=1):
            fused[pid] = fused.get(pid, 0.0) + w / (k + rank)
    order = sorted(fused, key=lambda i: -fused[i])
    return order, [fused[i] for i in order]
