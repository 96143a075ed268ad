"""For-you fixtures: a small feed of three topics, each paper with a vector, on both
backends (the window cache of this process is emptied around every test by
tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

TOPICS = {
    "graphs": (
        "Graph neural networks for molecule property prediction",
        "message passing graph neural network node embeddings molecules",
    ),
    "speech": (
        "Streaming speech recognition with transducers",
        "speech recognition acoustic model transducer audio streaming",
    ),
    "proteins": (
        "Protein structure prediction from sequence",
        "protein folding structure sequence residues contact prediction",
    ),
}
PER_TOPIC = 6


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


def _vector(topic: int, i: int) -> np.ndarray:
    rng = np.random.default_rng(1000 * topic + i)
    center = np.zeros(384, dtype=np.float32)
    center[topic * 10 : topic * 10 + 10] = 1.0
    vec = center + rng.normal(scale=0.15, size=384).astype(np.float32)
    return vec / np.linalg.norm(vec)


@pytest.fixture
def topic_feed(import_rows: Callable[[list[Any]], Any]) -> dict[str, list[Any]]:
    """PER_TOPIC papers per topic in the feed of the last days, each with a vector;
    returns the papers by topic, oldest first."""
    from django.utils import timezone

    from paperwire.papers.models import Paper
    from paperwire.search.embeddings import DIM, MODEL_KEY
    from paperwire.search.models import PaperVector

    today = timezone.now().date()
    rows = []
    for t, (name, (title, words)) in enumerate(TOPICS.items()):
        for i in range(PER_TOPIC):
            rows.append(
                {
                    "title": f"{title}, part {i + 1}",
                    "summary": f"We study {words}; variant {i} of the {name} line.",
                    "published_at": (today - dt.timedelta(days=i)).isoformat(),
                    "num_authors": 2,
                    "upvotes": 10 * t + i,
                    "feed_date": (today - dt.timedelta(days=i % 5)).isoformat(),
                    "categories": [f"cs.{name[:2].upper()}"],
                }
            )
    result = import_rows(rows)
    assert result.created == len(rows) and not result.problems
    by_topic: dict[str, list[Any]] = {}
    now = timezone.now()
    for t, name in enumerate(TOPICS):
        papers = list(Paper.objects.filter(title__startswith=TOPICS[name][0]).order_by("title"))
        assert len(papers) == PER_TOPIC
        for i, paper in enumerate(papers):
            PaperVector.objects.create(
                paper=paper, model=MODEL_KEY, dim=DIM,
                vector=_vector(t, i).astype("<f4").tobytes(), text_hash="test", embedded_at=now,
            )  # fmt: skip
        by_topic[name] = papers
    return by_topic
