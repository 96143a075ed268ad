"""The offline MiniLM runs on ONNX Runtime and gives sentence-transformers' vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperwire.search.embeddings import DIM, Embedder, EmbeddingUnavailable


def test_unit_vectors_of_the_right_size(caching_embedder: Embedder) -> None:
    vecs = Embedder.encode(caching_embedder, ["a", "state space models", ""])
    assert vecs.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_similarities_match_the_reference_model(
    caching_embedder: Embedder, float32_embedder: Embedder
) -> None:
    # sentence-transformers/all-MiniLM-L6-v2 on PyTorch gives 0.755 for the first pair.
    texts = [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A man is riding a horse.",
    ]
    exact = float32_embedder.encode(texts)
    assert exact[0] @ exact[1] == pytest.approx(0.755, abs=0.01)  # 0.7535 measured
    # The default int8 kernels round differently on each CPU: 0.7756 with AVX-512 VNNI
    # (Xeon, 2026-12-04), within 0.02 with AVX2 alone (EPYC, the days before).
    v = Embedder.encode(caching_embedder, texts)
    assert v[0] @ v[1] == pytest.approx(0.755, abs=0.03)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_padding_does_not_change_a_vector(caching_embedder: Embedder) -> None:
    short = "diffusion"
    alone = caching_embedder.encode_query(short)
    batch = Embedder.encode(caching_embedder, [short, "a much longer text " * 30], batch_size=2)
    assert float(alone @ batch[0]) > 0.9999


def test_long_texts_are_truncated_not_rejected(caching_embedder: Embedder) -> None:
    vec = caching_embedder.encode_query("word " * 5000)
    assert vec.shape == (DIM,)


def test_a_wrong_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(EmbeddingUnavailable, match="sha256"):
        Embedder(path=fake)
    with pytest.raises(EmbeddingUnavailable, match="not found"):
        Embedder(path=tmp_path / "missing.onnx")
