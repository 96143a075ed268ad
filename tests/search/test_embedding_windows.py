"""PAPERWIRE_EMBEDDING_WINDOWS=2: a long paper's vector is the mean of its first 128
tokens and its title with the end of its abstract; short texts and queries are as with
one window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperwire.search.embeddings import MAX_TOKENS, Embedder, embedding_text, model_key
from support import run_cli

TITLE = "Speculative decoding for image generation"
OPENING = "We study how to draft tokens cheaply. " * 12
ENDING = "Our findings show a threefold speedup on large diffusion transformers."
LONG = embedding_text(TITLE, OPENING + ENDING)


@pytest.fixture(scope="module")
def two() -> Embedder:
    return Embedder(threads=1, windows="2")


@pytest.fixture(scope="module")
def one() -> Embedder:
    return Embedder(threads=1, windows="1")


def test_a_long_text_has_two_windows_its_start_and_its_title_with_its_end(
    two: Embedder,
) -> None:
    first, last = two.windows_of(LONG)
    assert len(first) == len(last) == MAX_TOKENS
    words = two.whole.decode(last)
    assert words.startswith(TITLE.lower() + ".")
    assert words.endswith(ENDING.lower())
    assert "threefold" not in two.whole.decode(first)
    assert first == two.tokenizer.encode(LONG).ids, "the first window is the one-window text"


def test_a_text_without_a_title_stop_keeps_only_its_end(two: Embedder) -> None:
    text = "word " * 40 + "x" + " end" * 200
    _, last = two.windows_of(text)
    assert two.whole.decode(last) == " ".join(["end"] * (MAX_TOKENS - 2))


def test_short_texts_and_queries_are_as_with_one_window(one: Embedder, two: Embedder) -> None:
    short = embedding_text(TITLE, "A short abstract.")
    assert len(two.windows_of(short)) == 1
    assert np.allclose(two.encode([short]), one.encode([short]), atol=1e-6)
    assert np.allclose(two.encode_query(LONG), one.encode_query(LONG), atol=1e-6)


def test_a_long_text_is_the_mean_of_its_windows(one: Embedder, two: Embedder) -> None:
    vec = two.encode([LONG, "tiny"])[0]
    parts = [two._run_ids([w])[0] for w in two.windows_of(LONG)]
    mean = parts[0] + parts[1]
    assert np.allclose(vec, mean / np.linalg.norm(mean), atol=1e-6)
    assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5
    assert float(vec @ one.encode([LONG])[0]) < 0.999, "the end of the text counts"
    # The end of the abstract is what brings the paper up for a query about it.
    query = two.encode_query("threefold speedup of diffusion transformers")
    assert float(query @ vec) > float(query @ one.encode([LONG])[0])


def test_windows_have_their_own_model_key() -> None:
    assert model_key("int8", "2") == model_key("int8") + "-w2"
    assert model_key("float32", "2").endswith("-t128-w2")


def test_an_unknown_windows_setting_is_told_and_migrate_still_works(tmp_path: Path) -> None:
    done = run_cli("migrate", data_dir=tmp_path, PAPERWIRE_EMBEDDING_WINDOWS="3")
    assert done.returncode == 0, done.stderr
    assert "PAPERWIRE_EMBEDDING_WINDOWS is '3'" in done.stderr
    assert "Traceback" not in done.stderr
