"""Search fixtures: the demo papers with real MiniLM vectors, on both backends.

Every database test here runs on SQLite (FTS5, in-memory vector index) and on
PostgreSQL (tsvector, pgvector HNSW): the `backend` fixture of tests/conftest.py.

Vectors are computed once per session (by the real model) and remembered by
text, so each test can import the demo and embed it inside its own rolled-back
transaction in well under a second, leaving nothing behind for other tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperwire.search.embeddings import Embedder, model_file
from support import import_demo

DEMO_FILE = Path(__file__).resolve().parents[2] / "src" / "paperwire" / "data" / "demo_papers.jsonl"


class CachingEmbedder(Embedder):
    """The real model, remembering each text's vector for the rest of the session."""

    def __init__(self) -> None:
        super().__init__(threads=2)
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 16, progress: Any = None) -> Any:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, super().encode(todo, batch_size), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 384))


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture(scope="session")
def caching_embedder() -> CachingEmbedder:
    return CachingEmbedder()


@pytest.fixture(scope="session")
def float32_embedder() -> Embedder:
    """The shipped model file run as it is (float32 kernels): the reference the default
    int8 kernels are checked against."""
    return Embedder(path=model_file(), threads=1, kernels="float32")


@pytest.fixture
def demo(db: None) -> Iterator[None]:
    """The 137 demo papers, without vectors."""
    from paperwire.search.engine import reset_caches

    reset_caches()
    import_demo(DEMO_FILE, 137)  # the real import once per process and database
    yield
    reset_caches()


@pytest.fixture
def embedded(demo: None, caching_embedder: CachingEmbedder) -> None:
    """The demo papers, every one with its real vector."""
    from paperwire.search.engine import reset_caches
    from paperwire.search.vectors import embed_missing

    assert embed_missing(batch_size=200, embedder=caching_embedder) == 137
    reset_caches()
