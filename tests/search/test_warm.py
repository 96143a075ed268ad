"""A web process loads its embedding model as it starts, not in its first search."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from paperwire.search import embeddings, engine


def test_warming_loads_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "_embedder", None)
    monkeypatch.setattr(embeddings, "_failure", None)
    assert engine.warm() is True
    assert embeddings._embedder is not None


def test_warming_without_a_model_leaves_search_to_keywords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embeddings, "_embedder", None)
    monkeypatch.setattr(embeddings, "_failure", "model file not found: /nowhere/model.onnx")
    assert engine.warm() is False
    assert embeddings._embedder is None


def test_the_wsgi_module_warms_in_the_background() -> None:
    code = (
        "import threading\n"
        "import paperwire.wsgi\n"
        "for t in threading.enumerate():\n"
        "    if t.name == 'paperwire-warm':\n"
        "        t.join()\n"
        "from paperwire.search import embeddings\n"
        "print(embeddings._embedder is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "paperwire.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "True", out.stderr
