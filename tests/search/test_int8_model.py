"""The int8-kernel copy of the embedding model: derived once, checked, refused when wrong."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from paperwire.search import int8_model as int8
from paperwire.search.embeddings import (
    MODEL_KEY,
    ONNX_SHA256,
    Embedder,
    EmbedderPool,
    EmbeddingUnavailable,
    model_file,
)
from support import run_cli

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A man is riding a horse.",
    "State space models for long sequences",
    "Diffusion models generate images from noise",
]


def test_the_default_model_runs_int8_kernels_and_says_so_in_its_key(
    caching_embedder: Embedder,
) -> None:
    assert "int8dyn" in MODEL_KEY and int8.DERIVED_SHA256[:12] in MODEL_KEY
    path = Path(caching_embedder.info.path)
    assert path.name == int8.DERIVED_NAME
    assert int8.sha256_of(path) == int8.DERIVED_SHA256
    ops = {n.op_type for n in __import__("onnx").load(str(path)).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeLinear" in ops


def test_int8_vectors_stay_close_to_the_float32_kernels(
    caching_embedder: Embedder, float32_embedder: Embedder
) -> None:
    a = Embedder.encode(caching_embedder, SENTENCES)
    b = float32_embedder.encode(SENTENCES)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.98, cosines
    # The ranking the vectors give is the same wherever float32 tells two texts apart
    # (the last two sentences are both unrelated to the first: 0.046 and 0.054 in
    # float32, an order int8 kernels may swap on one CPU and keep on another).
    sa, sb = a @ a[0], b @ b[0]
    assert np.abs(sa - sb).max() < 0.03, (sa, sb)
    for i in range(len(SENTENCES)):
        for j in range(len(SENTENCES)):
            if sb[i] - sb[j] > 0.05:
                assert sa[i] > sa[j], (i, j, sa, sb)


def test_the_copy_is_derived_once_by_concurrent_callers(tmp_path: Path) -> None:
    target_dir = tmp_path / "models"
    results: list[Path | BaseException] = []

    def call() -> None:
        try:
            results.append(int8.int8_model(model_file(), target_dir))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [target_dir / int8.DERIVED_NAME] * 3
    assert int8.sha256_of(target_dir / int8.DERIVED_NAME) == int8.DERIVED_SHA256
    assert [p.name for p in target_dir.iterdir() if p.suffix == ".onnx"] == [int8.DERIVED_NAME]


def test_a_changed_copy_is_refused_with_what_to_do(tmp_path: Path) -> None:
    shared = Path(int8.model_dir()) / int8.DERIVED_NAME
    if not shared.is_file():
        int8.int8_model(model_file())
    bad_dir = tmp_path / "models"
    bad_dir.mkdir()
    bad = bad_dir / int8.DERIVED_NAME
    shutil.copyfile(shared, bad)
    with bad.open("r+b") as fh:
        fh.seek(-64, 2)
        fh.write(b"\0" * 64)
    with pytest.raises(int8.DerivationError, match="PAPERWIRE_EMBEDDING_KERNELS=float32"):
        int8.int8_model(model_file(), bad_dir)


def test_the_source_is_checked_before_it_is_derived(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(EmbeddingUnavailable, match=ONNX_SHA256):
        Embedder(path=fake)
    assert not (tmp_path / "models").exists()


def test_migrate_prepares_the_copy_and_float32_needs_none(tmp_path: Path) -> None:
    models = tmp_path / "models"
    done = run_cli(
        "migrate", data_dir=tmp_path / "data", timeout=180, PAPERWIRE_MODEL_DIR=str(models)
    )
    assert done.returncode == 0, done.stderr
    assert "int8-kernel copy" in done.stdout
    assert int8.sha256_of(models / int8.DERIVED_NAME) == int8.DERIVED_SHA256
    again = run_cli(
        "migrate", data_dir=tmp_path / "data", timeout=180, PAPERWIRE_MODEL_DIR=str(models)
    )
    assert again.returncode == 0 and "int8-kernel copy" not in again.stdout
    other = tmp_path / "none"
    plain = run_cli(
        "migrate",
        data_dir=tmp_path / "data2",
        timeout=180,
        PAPERWIRE_MODEL_DIR=str(other),
        PAPERWIRE_EMBEDDING_KERNELS="float32",
    )
    assert plain.returncode == 0, plain.stderr
    assert not other.exists()


def test_an_unknown_kernel_setting_is_told_and_migrate_still_works(tmp_path: Path) -> None:
    done = run_cli("migrate", data_dir=tmp_path, PAPERWIRE_EMBEDDING_KERNELS="int4")
    assert done.returncode == 0, done.stderr
    assert "PAPERWIRE_EMBEDDING_KERNELS is 'int4'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_vector_does_not_depend_on_what_it_was_embedded_with(
    caching_embedder: Embedder,
) -> None:
    alone = [caching_embedder.encode_query(t) for t in SENTENCES]
    together = Embedder.encode(caching_embedder, [*SENTENCES, "word " * 300], batch_size=16)
    for i, vec in enumerate(alone):
        assert float(vec @ together[i]) > 0.99999


def test_the_process_pool_gives_the_single_process_vectors() -> None:
    texts = [f"{s} number {i}" for i, s in enumerate(SENTENCES * 5)]
    pool = EmbedderPool(2)
    try:
        pooled = pool.encode(texts, batch_size=16)
        assert pool.encode([]).shape == (0, pooled.shape[1])
    finally:
        pool.close()
    single = Embedder(threads=1).encode(texts)
    assert pooled.shape == single.shape
    assert np.allclose(pooled, single, atol=1e-5)


def test_an_interrupted_embed_says_how_to_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import CommandError, call_command

    from paperwire.search.management.commands import embed as command

    closed: list[bool] = []

    class Pool:
        def __init__(self, processes: int, threads: int = 1) -> None:
            pass

        def close(self) -> None:
            closed.append(True)

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "count_missing", lambda: 5)
    monkeypatch.setattr(command, "EmbedderPool", Pool)
    monkeypatch.setattr(command, "embed_missing", interrupted)
    with pytest.raises(CommandError, match="run `paperwire embed` again to resume"):
        call_command("embed", "--processes", "2", "--quiet")
    assert closed == [True]
