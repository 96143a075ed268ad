"""Embedding throughput: each lever alone, against today's configuration in the same run.

    .venv/bin/python bench/embed.py [--texts 137] [--rounds 2] [--quality DIR]

Texts are the demo papers' `title. abstract` (every one fills a 256-token cap). Each
lever runs right after a run of the baseline (256 tokens, batch 16, 2 threads, graph
optimizations on, sequential, the shipped model), so a ratio is taken from two
adjacent runs and a change of load on this shared machine moves both. `--quality DIR`
also embeds a BEIR-layout collection with the baseline and with paperwire's
configuration and prints dense-only nDCG@10 of both (exact cosine, in process).

The int8 *kernels* levers use the copy paperwire derives (search/int8_model.py): the
shipped file keeps its weights as int8 but multiplies in float32 (Cast x scale before
each MatMul, folded at load), so a dynamically quantized copy (MatMulInteger) is derived
into a temporary directory for the comparison. "paperwire embed now" and "worker now"
are the configurations paperwire runs, each against the one it replaced.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "paperwire" / "data" / "demo_papers.jsonl"


@dataclass(frozen=True)
class Config:
    name: str = "today: 256 tokens, batch 16, 2 threads"
    max_tokens: int = 256
    batch: int = 16
    threads: int = 2
    processes: int = 1
    graph: str = "all"  # disable | basic | extended | all
    parallel: bool = False
    model: str = "shipped"  # shipped | fp32 | int8-dynamic
    char_cap: int = 0  # cut the text to this many characters before tokenizing (0: no)
    # "head": title and the start of the abstract; "ends": the title, the abstract's first
    # sentence and as many of its last sentences as fit (results are stated last).
    text: str = "head"
    # 2: the mean of two windows, as PAPERWIRE_EMBEDDING_WINDOWS=2 embeds a paper.
    windows: int = 1


BASELINE = Config()


def demo_texts(n: int) -> list[str]:
    rows = [json.loads(line) for line in DEMO.read_text().splitlines() if line.strip()]
    texts = [f"{r['title'].strip()}. {r['summary'].strip()}" for r in rows]
    return (texts * (n // len(texts) + 1))[:n]


def model_path(kind: str, tmp: Path) -> str:
    from paperwire.search.embeddings import model_file

    shipped = str(model_file())
    if kind == "shipped":
        return shipped
    fp32 = tmp / "fp32.onnx"
    if not fp32.exists():
        import onnxruntime as ort

        # Folding Cast x scale leaves a plain float32 graph: what ORT runs for "shipped".
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(fp32)
        ort.InferenceSession(shipped, opts, providers=["CPUExecutionProvider"])
    if kind == "fp32":
        return str(fp32)
    # The int8-kernel copy paperwire derives and runs (search/int8_model.py).
    from paperwire.search.int8_model import int8_model

    return str(int8_model(Path(shipped), tmp / "models"))


class Runner:
    def __init__(self, cfg: Config, path: str) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from paperwire.search.embeddings import TOKENIZER_PATH

        self.cfg = cfg
        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        tok.enable_truncation(max_length=cfg.max_tokens)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tok = tok
        if cfg.windows == 2:
            from paperwire.search.embeddings import whole_tokenizer

            self.whole = whole_tokenizer()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cfg.threads
        opts.inter_op_num_threads = cfg.threads if cfg.parallel else 1
        level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[cfg.graph]
        opts.graph_optimization_level = level
        opts.execution_mode = (
            ort.ExecutionMode.ORT_PARALLEL if cfg.parallel else ort.ExecutionMode.ORT_SEQUENTIAL
        )
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])

    def tokenize(self, texts: list[str]) -> list[Any]:
        if self.cfg.text == "ends":
            texts = [ends(t, self.cfg.max_tokens) for t in texts]
        if self.cfg.char_cap:
            texts = [t[: self.cfg.char_cap] for t in texts]
        return self.tok.encode_batch(texts)

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.cfg.windows == 2:
            return self.embed_windows(texts)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.cfg.batch):
            idx = order[start : start + self.cfg.batch]
            encs = self.tokenize([texts[i] for i in idx])
            ids = np.array([e.ids for e in encs], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
            hidden = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            )[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def embed_windows(self, texts: list[str]) -> np.ndarray:
        """One window per call (int8 kernels take one activation scale per call)."""
        from paperwire.search.embeddings import text_windows

        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            for window in text_windows(self.whole, text):
                ids = np.array([window], dtype=np.int64)
                hidden = self.session.run(
                    None,
                    {
                        "input_ids": ids,
                        "attention_mask": np.ones_like(ids),
                        "token_type_ids": 0 * ids,
                    },
                )[0]
                pooled = hidden[0].mean(axis=0)
                out[i] += pooled / np.linalg.norm(pooled)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def ends(text: str, max_tokens: int) -> str:
    """The first sentence and as many last sentences as fit about `max_tokens` tokens."""
    budget = int(max_tokens * 3.6)  # characters per word piece in abstracts, about
    if len(text) <= budget:
        return text
    parts = re.split(r"(?<=[.!?])\s+", text)
    kept = [parts[0], parts[1]] if len(parts) > 1 else parts
    tail: list[str] = []
    room = budget - sum(len(p) + 1 for p in kept)
    for part in reversed(parts[len(kept) :]):
        if len(part) + 1 > room:
            break
        tail.insert(0, part)
        room -= len(part) + 1
    return " ".join(kept + tail)


def _worker(cfg: Config, path: str, texts: list[str], ready: Any, go: Any, done: Any) -> None:
    runner = Runner(cfg, path)
    runner.embed(texts[: cfg.batch])  # warm
    ready.put(1)
    go.wait()
    runner.embed(texts)
    done.put(time.perf_counter())


def throughput(cfg: Config, texts: list[str], tmp: Path) -> float:
    """Papers per second; model load and one warm-up batch excluded."""
    path = model_path(cfg.model, tmp)
    if cfg.processes == 1:
        runner = Runner(cfg, path)
        runner.embed(texts[: cfg.batch])
        start = time.perf_counter()
        runner.embed(texts)
        return len(texts) / (time.perf_counter() - start)
    ctx = mp.get_context("spawn")
    ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    share = [texts[i :: cfg.processes] for i in range(cfg.processes)]
    procs = [ctx.Process(target=_worker, args=(cfg, path, part, ready, go, done)) for part in share]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    start = time.perf_counter()
    go.set()
    end = max(done.get() for _ in procs)
    for p in procs:
        p.join()
    return len(texts) / (end - start)


def tokenizer_share(cfg: Config, texts: list[str], tmp: Path) -> tuple[float, float]:
    """(tokenizer papers/s, fraction of the embedding time spent tokenizing)."""
    runner = Runner(cfg, model_path(cfg.model, tmp))
    start = time.perf_counter()
    for i in range(0, len(texts), cfg.batch):
        runner.tokenize(texts[i : i + cfg.batch])
    tok = time.perf_counter() - start
    start = time.perf_counter()
    runner.embed(texts)
    total = time.perf_counter() - start
    return len(texts) / tok, tok / total


def levers() -> list[Config]:
    b = BASELINE
    return [
        replace(b, name="token cap 192", max_tokens=192),
        replace(b, name="token cap 128 (title + start of abstract)", max_tokens=128),
        replace(b, name="token cap 96", max_tokens=96),
        replace(b, name="text cut at 800 chars before tokenizing", char_cap=800),
        replace(b, name="graph optimizations off", graph="disable"),
        replace(b, name="graph optimizations basic", graph="basic"),
        replace(b, name="graph optimizations extended", graph="extended"),
        replace(b, name="parallel execution mode (inter-op 2)", parallel=True),
        replace(b, name="fp32 file (weights folded)", model="fp32"),
        replace(b, name="int8 kernels (derived copy), batch 16", model="int8-dynamic"),
        replace(b, name="int8 kernels (derived copy), batch 1", model="int8-dynamic", batch=1),
        replace(b, name="batch 1", batch=1),
        replace(b, name="batch 8", batch=8),
        replace(b, name="batch 32", batch=32),
        replace(b, name="batch 64", batch=64),
        replace(b, name="1 process x 1 thread (worker default)", threads=1),
        replace(b, name="2 processes x 1 thread", threads=1, processes=2),
    ]


# Today's worker: one thread, so that a core stays free for the web process.
WORKER_BASELINE = replace(
    BASELINE, name="today's worker: 256 tokens, batch 16, 1 thread", threads=1
)


def now(windows: int, worker: bool) -> Config:
    """paperwire's configuration now: `paperwire embed` (2 processes x 1 thread) or the
    worker (1 thread), with two windows (the default) or one."""
    from paperwire.search.embeddings import MAX_TOKENS

    setting = "default" if windows == 2 else "PAPERWIRE_EMBEDDING_WINDOWS=1"
    shape = f"{'two windows' if windows == 2 else 'one window'} of {MAX_TOKENS} tokens"
    who, layout = (
        ("worker", "1 thread") if worker else ("paperwire embed", "2 processes x 1 thread")
    )
    return replace(
        BASELINE,
        name=f"{who} now ({setting}): {shape}, int8, batch 1, {layout}",
        max_tokens=MAX_TOKENS,
        model="int8-dynamic",
        batch=1,
        threads=1,
        processes=1 if worker else 2,
        windows=windows,
    )


def chosen() -> list[tuple[Config, Config]]:
    """paperwire's configurations now, each with the one it replaces: the default (two
    windows) first, then one window (PAPERWIRE_EMBEDDING_WINDOWS=1)."""
    return [
        (now(windows, worker), WORKER_BASELINE if worker else BASELINE)
        for windows in (2, 1)
        for worker in (False, True)
    ]


def ndcg10(ranked: list[str], rel: dict[str, int]) -> float:
    dcg = sum(rel.get(d, 0) / np.log2(r + 2) for r, d in enumerate(ranked[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum(g / np.log2(r + 2) for r, g in enumerate(ideal))
    return float(dcg / idcg) if idcg else 0.0


def dense_quality(collection: Path, configs: list[Config], tmp: Path, subset: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from ir import load_collection

    corpus, queries, qrels = load_collection(collection)
    ids = list(corpus)
    if subset:
        # Every judged document and `subset` others drawn at random (seed 0): a cheaper
        # corpus on which configurations are compared with each other.
        judged_docs = {d for rel in qrels.values() for d in rel}
        others = sorted(set(ids) - judged_docs)
        ids = sorted(judged_docs & set(ids)) + random.Random(0).sample(others, subset)
    texts = [f"{corpus[i][0].strip()}. {corpus[i][1].strip()}".strip(". ") for i in ids]
    judged = [q for q in queries if q in qrels]
    print(f"\nDense-only nDCG@10 on {collection.name} ({len(ids)} documents, {len(judged)} "
          "queries; exact cosine)")  # fmt: skip
    print("| configuration | nDCG@10 | papers/s while embedding it |")
    print("| --- | ---: | ---: |")
    for cfg in configs:
        runner = Runner(cfg, model_path(cfg.model, tmp))
        start = time.perf_counter()
        docs = runner.embed(texts)
        rate = len(texts) / (time.perf_counter() - start)
        qv = runner.embed([queries[q] for q in judged])
        scores = qv @ docs.T
        total = 0.0
        for row, q in enumerate(judged):
            top = np.argsort(-scores[row])[:10]
            total += ndcg10([ids[i] for i in top], qrels[q])
        print(f"| {cfg.name} | {total / len(judged):.4f} | {rate:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=137)
    parser.add_argument("--rounds", type=int, default=2, help="pairs per lever (median ratio)")
    parser.add_argument("--only", default="", help="run the levers whose name has this text")
    parser.add_argument("--quality", type=Path, default=None, help="a BEIR-layout directory")
    parser.add_argument("--quality-subset", type=int, default=0, help="judged docs + N others")
    parser.add_argument("--quality-only", action="store_true", help="skip the speed levers")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
    sys.path.insert(0, str(ROOT / "src"))
    texts = demo_texts(args.texts)
    print(f"load average at start: {os.getloadavg()}; {os.cpu_count()} CPUs; "
          f"{len(texts)} demo texts")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        every = [(c, BASELINE) for c in levers()] + chosen()
        todo = [(c, b) for c, b in every if args.only in c.name]
        if args.quality_only:
            todo = []
        print("| lever (alone) | papers/s | today's papers/s, same run | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for cfg, against in todo:
            pairs = [
                (throughput(against, texts, tmp), throughput(cfg, texts, tmp))
                for _ in range(args.rounds)
            ]
            base = statistics.median(p[0] for p in pairs)
            rate = statistics.median(p[1] for p in pairs)
            ratio = statistics.median(p[1] / p[0] for p in pairs)
            print(f"| {cfg.name} | {rate:.1f} | {base:.1f} | {ratio:.2f}x |", flush=True)
        for cfg in (BASELINE, now(windows=1, worker=True)) if todo else ():
            rate, share = tokenizer_share(cfg, texts, tmp)
            print(f"tokenizer alone, {cfg.name}: {rate:.0f} texts/s, "
                  f"{100 * share:.1f}% of the embedding time")  # fmt: skip
        print(f"load average at end: {os.getloadavg()}")
        if args.quality:
            variants = [
                BASELINE,
                replace(BASELINE, name="token cap 128 (title + start of abstract)", max_tokens=128),
                replace(
                    BASELINE,
                    name="token cap 128, title + first and last sentences",
                    max_tokens=128,
                    text="ends",
                ),
                replace(BASELINE, name="token cap 192", max_tokens=192),
                replace(
                    BASELINE,
                    name="int8 kernels, 256 tokens, batch 1",
                    model="int8-dynamic",
                    batch=1,
                ),
                replace(
                    now(1, worker=True), name="one window of 128 tokens, int8, batch 1", threads=2
                ),
                replace(
                    now(2, worker=False),
                    name="default, PAPERWIRE_EMBEDDING_WINDOWS=2: two windows of 128 tokens, "
                    "int8, batch 1",
                    processes=1,
                    threads=2,
                ),
            ]
            variants = [v for v in variants if v is BASELINE or args.only in v.name]
            dense_quality(args.quality, variants, tmp, args.quality_subset)


if __name__ == "__main__":
    main()
