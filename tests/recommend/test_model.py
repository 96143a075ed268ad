"""The ranking's arithmetic: hashed TF-IDF, sparse products, training, top-k, and the
batch scoring the digest uses (which must agree with scoring one reader at a time)."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.recommend import text
from paperwire.recommend.model import (
    PaperFeatures,
    ReaderModel,
    sample_negatives,
    score_readers,
    top,
    train,
    unit_rows,
)

DOCS = [
    "graph neural networks on molecules",
    "message passing graph networks for chemistry",
    "speech recognition with transducers",
    "streaming speech recognition on phones",
    "protein structure prediction",
    "",
]


def features(docs: list[str], seed: int = 0) -> PaperFeatures:
    rows = text.stack([text.term_counts(d) for d in docs])
    idf = text.idf_of(rows)
    tfidf = text.tfidf(rows, idf)
    rng = np.random.default_rng(seed)
    emb = unit_rows(rng.normal(size=(len(docs), 384)).astype(np.float32))
    has = np.ones(len(docs), dtype=bool)
    return PaperFeatures.build(emb, has, tfidf, emb.mean(axis=0), tfidf.mean(np.arange(len(docs))))


def test_words_hash_the_same_in_every_process() -> None:
    # CRC-32, not Python's salted hash(): these buckets never change between runs.
    counts = text.term_counts("Graph graph networks")
    assert counts.buckets.tolist() == sorted(counts.buckets.tolist())
    assert len(counts.buckets) == 2
    weights = sorted(abs(w) for w in counts.weights.tolist())
    assert weights == pytest.approx([1.0, 1.0 + np.log(2)])
    assert text.term_counts("the of and").buckets.size == 0


def test_sparse_rows_agree_with_dense_arithmetic() -> None:
    rows = text.tfidf(text.stack([text.term_counts(d) for d in DOCS]), np.ones(text.BUCKETS))
    dense = rows.dense()
    vector = np.random.default_rng(1).normal(size=text.BUCKETS).astype(np.float32)
    assert np.allclose(rows.dot(vector), dense @ vector, atol=1e-5)
    assert np.allclose(rows.mean(np.array([0, 2])), dense[[0, 2]].mean(axis=0), atol=1e-6)
    norms = np.linalg.norm(dense, axis=1)
    assert np.allclose(norms[:5], 1.0, atol=1e-5) and norms[5] == 0


def test_centered_text_scores_match_the_dense_centered_rows() -> None:
    papers = features(DOCS)
    weights = np.random.default_rng(2).normal(size=text.BUCKETS).astype(np.float32)
    dense = papers.dense_text(np.arange(papers.size))
    assert np.allclose(papers.text_scores(weights), dense @ weights, atol=1e-4)


def test_a_model_ranks_papers_like_the_positives_first() -> None:
    papers = features(DOCS)
    positives = features([DOCS[0]])
    # Positives' features are centered like the candidates': build them the same way.
    positives = PaperFeatures.build(
        papers.embedding[:1] * 0 + papers.embedding[:1],
        np.ones(1, dtype=bool),
        text.tfidf(
            text.stack([text.term_counts(DOCS[0])]),
            text.idf_of(text.stack([text.term_counts(d) for d in DOCS])),
        ),
        np.zeros(384, dtype=np.float32),
        papers.text_mean,
    )
    negatives = sample_negatives(papers.size, {0}, seed=1, k=3)
    assert 0 not in negatives.tolist() and len(negatives) == 3
    model = train(positives, np.ones(1), papers, negatives, text_share=1.0)
    rows, scores = top(model.scores(papers), 2, exclude=np.array([0]))
    assert rows.tolist()[0] == 1, "the other graph paper comes first"
    assert scores[0] >= scores[1]


def test_negatives_are_sampled_the_same_for_the_same_seed() -> None:
    first = sample_negatives(1000, {1, 2, 3}, seed=42)
    assert np.array_equal(first, sample_negatives(1000, {1, 2, 3}, seed=42))
    assert not np.array_equal(first, sample_negatives(1000, {1, 2, 3}, seed=43))
    assert len(sample_negatives(10, {0}, seed=1)) == 9


def test_batch_scoring_agrees_with_one_reader_at_a_time() -> None:
    papers = features(DOCS)
    rng = np.random.default_rng(3)
    readers = [
        ReaderModel(
            unit_rows(rng.normal(size=(1, 384)).astype(np.float32))[0],
            unit_rows(rng.normal(size=(1, text.BUCKETS)).astype(np.float32))[0],
        )
        for _ in range(4)
    ]
    best, scores = score_readers(np.vstack([r.stacked() for r in readers]), papers.dense(), 3)
    for i, reader in enumerate(readers):
        one = reader.scores(papers)
        rows, expected = top(one, 3)
        assert best[i].tolist() == rows.tolist()
        assert np.allclose(scores[i], expected, atol=1e-4)


def test_top_of_nothing_is_empty() -> None:
    rows, scores = top(np.zeros(0, dtype=np.float32), 5)
    assert rows.size == 0 and scores.size == 0
    best, _ = score_readers(np.zeros((2, 3), np.float32), np.zeros((0, 3), np.float32), 5)
    assert best.shape == (2, 0)
