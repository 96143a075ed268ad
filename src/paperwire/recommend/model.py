"""A reader's model: a linear scorer over two features of every paper, learned from the
reader's positives against the papers they were not chosen from (a Rocchio classifier).

Features of a paper (`PaperFeatures`):
- its all-MiniLM-L6-v2 embedding, centered on the mean of the candidates and scaled back
  to unit length (centering removes the direction every abstract shares, which
  otherwise makes generic papers look close to everything);
- its TF-IDF over hashed words (recommend.text), centered and scaled the same way.

The reader's weights, per feature: the weighted mean of their positives minus
NEGATIVE_WEIGHT x the mean of negatives sampled from the candidates, scaled to unit
length. Centering on the candidates' mean already contrasts the positives with every
candidate, the expectation of any sample of negatives; bench/foryou.py measured that
subtracting a sample's mean as well only adds its noise, so NEGATIVE_WEIGHT is 0 and
the contrast is with all candidates. A paper's score is (1 - TEXT_SHARE) x its
embedding's dot product with the embedding weights plus TEXT_SHARE x the same for the
text. Every constant here was chosen on the development half of the topics in
bench/foryou.py and reported on the other half (docs/benchmarks.md).

Every ranker returns `(row indices, scores)`, best first, so rankers compose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paperwire.recommend.text import SparseRows

TEXT_SHARE = 0.3
NEGATIVE_WEIGHT = 0.0
NEGATIVES = 500
# A reader with fewer positives is ranked by their topics, then trending (cold start).
MIN_POSITIVES = 3


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


@dataclass
class PaperFeatures:
    """Features of a set of papers (the candidates, or a reader's positives), centered on
    the candidates' means. Row i of each is paper i."""

    embedding: np.ndarray  # (n, 384): centered, unit rows; zeros where a paper has none
    has_embedding: np.ndarray  # (n,) bool
    text: SparseRows  # unit TF-IDF rows, not centered (sparse); see text_scores
    text_mean: np.ndarray  # (buckets,) the candidates' mean TF-IDF
    text_dot_mean: np.ndarray  # (n,) each row's dot product with text_mean
    text_norm: np.ndarray  # (n,) length of each row once centered

    @classmethod
    def build(
        cls,
        embedding: np.ndarray,
        has_embedding: np.ndarray,
        text: SparseRows,
        embedding_mean: np.ndarray,
        text_mean: np.ndarray,
    ) -> PaperFeatures:
        centered = unit_rows(embedding - embedding_mean)
        centered[~has_embedding] = 0.0
        dot_mean = text.dot(text_mean)
        # |t - m|² = |t|² - 2 t·m + |m|², with |t| = 1 (0 for a paper without words).
        lengths = (np.diff(text.indptr) > 0).astype(np.float32)
        squared = lengths - 2 * dot_mean + float(text_mean @ text_mean)
        norm = np.sqrt(np.clip(squared, 1e-12, None)).astype(np.float32)
        return cls(centered, has_embedding, text, text_mean, dot_mean, norm)

    @property
    def size(self) -> int:
        return len(self.has_embedding)

    def text_scores(self, weights: np.ndarray) -> np.ndarray:
        """Each paper's centered, unit TF-IDF dotted with `weights`, without making the
        centered rows dense: (t·w - m·w) / |t - m|."""
        return (self.text.dot(weights) - float(self.text_mean @ weights)) / self.text_norm

    def dense_text(self, rows: np.ndarray) -> np.ndarray:
        """The centered, unit TF-IDF of some rows, dense."""
        return (self.text.dense(rows) - self.text_mean) / self.text_norm[rows, None]

    def dense(self, rows: np.ndarray | None = None, text_share: float = TEXT_SHARE) -> np.ndarray:
        """Both features side by side, each scaled by its share of the score: the matrix a
        batch of readers' weights is multiplied with (score_readers)."""
        picked = np.arange(self.size) if rows is None else np.asarray(rows)
        return np.hstack(
            [(1 - text_share) * self.embedding[picked], text_share * self.dense_text(picked)]
        ).astype(np.float32)


@dataclass
class ReaderModel:
    """A reader's weights over the two features (each of unit length)."""

    embedding: np.ndarray
    text: np.ndarray
    text_share: float = TEXT_SHARE

    def scores(self, papers: PaperFeatures) -> np.ndarray:
        dense = papers.embedding @ self.embedding
        sparse = papers.text_scores(self.text)
        return (1 - self.text_share) * dense + self.text_share * sparse

    def stacked(self) -> np.ndarray:
        """The weights as one row, to stack with other readers' (score_readers)."""
        return np.concatenate([self.embedding, self.text]).astype(np.float32)


def sample_negatives(
    candidates: int, exclude: set[int], seed: int, k: int = NEGATIVES
) -> np.ndarray:
    """Up to k candidate rows, not among `exclude`, drawn with a seed: the same reader with
    the same positives gets the same sample, so their ranking does not flicker."""
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(np.arange(candidates), np.fromiter(exclude, dtype=np.int64))
    if len(pool) <= k:
        return pool
    return np.sort(rng.choice(pool, size=k, replace=False))


def train(
    positives: PaperFeatures,
    weights: np.ndarray,
    candidates: PaperFeatures,
    negative_rows: np.ndarray,
    *,
    negative_weight: float = NEGATIVE_WEIGHT,
    text_share: float = TEXT_SHARE,
) -> ReaderModel:
    """Rocchio: the weighted mean of the positives minus negative_weight x the mean of
    the negatives (rows of the candidates), for each feature, scaled to unit length."""
    w = np.asarray(weights, dtype=np.float64)
    has = positives.has_embedding
    embedding = np.zeros(positives.embedding.shape[1], dtype=np.float32)
    if has.any():
        embedding = (w[has] @ positives.embedding[has] / w[has].sum()).astype(np.float32)
    text = (w @ positives.dense_text(np.arange(positives.size)) / w.sum()).astype(np.float32)
    if len(negative_rows) and negative_weight:
        neg_has = negative_rows[candidates.has_embedding[negative_rows]]
        if len(neg_has):
            embedding = embedding - negative_weight * candidates.embedding[neg_has].mean(axis=0)
        text = text - negative_weight * candidates.dense_text(negative_rows).mean(axis=0)
    return ReaderModel(unit(embedding), unit(text), text_share)


def top(
    scores: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, scores) of the k best, best first."""
    s = scores.astype(np.float32, copy=True)
    if exclude is not None and len(exclude):
        s[exclude] = -np.inf
    k = min(k, len(s))
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    best = np.argpartition(-s, k - 1)[:k]
    best = best[np.argsort(-s[best], kind="stable")]
    best = best[np.isfinite(s[best])]
    return best, s[best]


def score_readers(readers: np.ndarray, papers: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best papers for each of many readers at once (the digest's worker): one
    matrix product of the readers' stacked weights (R x d) with the papers' dense
    features (n x d), then each row's top k. Returns (R x k indices, R x k scores)."""
    scores = readers @ papers.T
    k = min(k, scores.shape[1])
    if k == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, best, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1), np.take_along_axis(picked, order, axis=1)
