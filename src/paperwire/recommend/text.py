"""The sparse text feature: TF-IDF of a paper's title and abstract, with words hashed
into a fixed number of signed buckets (the "hashing trick").

Hashing needs no vocabulary to store or keep in step across processes: a word's bucket
is a CRC-32 of it, the same in every process and every run. The sign (another bit of
the hash) makes two words that share a bucket cancel on average instead of adding up.
Term frequencies are sublinear (1 + log tf); the IDF comes from the papers ranked.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

# Buckets: chosen by bench/foryou.py (fewer lose words to collisions, more cost memory).
BUCKETS = 2048

_WORD = re.compile(r"[a-z][a-z0-9]+")
# Function words that say nothing about a paper's topic.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    however i if in into is it its itself just me more most my myself no nor not now of off
    on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up upon us very via was we were what when where which while who whom why
    will with within without would you your yours yourself yourselves""".split()
)


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@dataclass(frozen=True)
class TermCounts:
    """One paper's words as signed buckets and sublinear term frequencies (no IDF yet)."""

    buckets: np.ndarray  # int32, sorted, unique
    weights: np.ndarray  # float32, signed 1 + log(tf)


def term_counts(text: str, buckets: int = BUCKETS) -> TermCounts:
    signs: dict[int, float] = {}
    for word, n in Counter(words(text)).items():
        h = zlib.crc32(word.encode())
        bucket = (h >> 1) % buckets
        signed = (1.0 + np.log(n)) * (1.0 if h & 1 else -1.0)
        signs[bucket] = signs.get(bucket, 0.0) + signed
    keys = np.array(sorted(signs), dtype=np.int32)
    values = np.array([signs[k] for k in keys.tolist()], dtype=np.float32)
    keep = values != 0
    return TermCounts(keys[keep], values[keep])


@dataclass
class SparseRows:
    """Rows of a sparse matrix in CSR form: row i is data[indptr[i]:indptr[i+1]] at
    columns indices[…]. numpy only: the product needs no SciPy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    width: int

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Each row's dot product with a dense vector of `width`."""
        out = np.zeros(self.rows, dtype=np.float32)
        if not len(self.data):
            return out
        products = self.data * vector[self.indices]
        starts = self.indptr[:-1]
        filled = starts < self.indptr[1:]
        out[filled] = np.add.reduceat(products, starts[filled])
        return out

    def dense(self, rows: np.ndarray | None = None) -> np.ndarray:
        picked = np.arange(self.rows) if rows is None else np.asarray(rows)
        out = np.zeros((len(picked), self.width), dtype=np.float32)
        for i, r in enumerate(picked.tolist()):
            lo, hi = self.indptr[r], self.indptr[r + 1]
            out[i, self.indices[lo:hi]] = self.data[lo:hi]
        return out

    def mean(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """The (weighted) mean of some rows, as a dense vector."""
        total = np.zeros(self.width, dtype=np.float64)
        w = np.ones(len(rows)) if weights is None else weights
        for r, weight in zip(np.asarray(rows).tolist(), w.tolist(), strict=True):
            lo, hi = self.indptr[r], self.indptr[r + 1]
            np.add.at(total, self.indices[lo:hi], weight * self.data[lo:hi])
        return (total / max(float(w.sum()), 1e-12)).astype(np.float32)


def stack(counts: list[TermCounts], width: int = BUCKETS) -> SparseRows:
    lengths = np.array([len(c.buckets) for c in counts], dtype=np.int64)
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if counts:
        indices = np.concatenate([c.buckets for c in counts]).astype(np.int32)
        data = np.concatenate([c.weights for c in counts]).astype(np.float32)
    else:
        indices, data = np.zeros(0, np.int32), np.zeros(0, np.float32)
    return SparseRows(indptr, indices, data, width)


def idf_of(rows: SparseRows) -> np.ndarray:
    """Smoothed inverse document frequency of each bucket over these rows."""
    df = np.bincount(rows.indices, minlength=rows.width).astype(np.float32)
    n = rows.rows
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def tfidf(rows: SparseRows, idf: np.ndarray) -> SparseRows:
    """The rows weighted by IDF and scaled to unit length."""
    data = rows.data * idf[rows.indices]
    squares = np.zeros(rows.rows, dtype=np.float64)
    lengths = np.diff(rows.indptr)
    row_of = np.repeat(np.arange(rows.rows), lengths)
    np.add.at(squares, row_of, data.astype(np.float64) ** 2)
    norms = np.sqrt(squares).astype(np.float32)
    norms[norms == 0] = 1.0
    return SparseRows(rows.indptr, rows.indices, data / norms[row_of], rows.width)
