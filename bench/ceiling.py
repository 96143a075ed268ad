"""Relevance levers the engine does not have, each fused as the engine fuses, in process.

    .venv/bin/python bench/ceiling.py [--collection ../shared/data/ir/scifact]

How far can the pieces paperwire has (all-MiniLM-L6-v2 with int8 kernels, BM25) go
on a collection? Each lever is measured alone against the same-run baseline: the
paper vectors paperwire stores (the mean of two windows), fused with plain BM25 (k1 0.9,
b 0.4; bench/ir.py's) the engine's way (convex: the BM25 score over the query's best,
the cosine min-max over the union of both top 100s; fusion.convex_fuse).

- **Keyword feedback (RM3)**: the first 10 BM25 documents' 10 heaviest terms
  (P(term | document) weighted by the document's score), half the query's weight,
  searched again (Anserini's defaults).
- **Max-sim over windows**: a paper scored by its best window instead of their mean:
  the two windows paperwire embeds, or the abstract cut at sentence ends into windows
  of at most 64 word pieces, each after the title.
- **Neighbour smoothing**: each paper's vector moved a little (0.1) towards the mean of
  its 3 nearest papers', a document expansion that costs nothing at query time.
- **A corpus adapter**: a linear map of the query vector, learned on the collection's
  own (title, abstract) pairs with in-batch negatives (no query, no judgement): what a
  site could learn from its papers alone.

Dense-only and hybrid nDCG@10 (bench/ir.py's metric code, cross-checked there against
pytrec_eval), and papers/s for the document side of each window layout (one process,
2 threads, one window per call as paperwire's int8 kernels run).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from ir import PlainBM25, Run, load_collection, own_metrics  # noqa: E402

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
K1, B = 0.9, 0.4


def forward(index: PlainBM25) -> dict[int, dict[str, int]]:
    """document number -> {term: frequency}."""
    out: dict[int, dict[str, int]] = {}
    for term, postings in index.tf.items():
        for doc, f in postings.items():
            out.setdefault(doc, {})[term] = f
    return out


def rm3(
    index: PlainBM25,
    terms_of: dict[int, dict[str, int]],
    qid: str,
    docs: int = 10,
    terms: int = 10,
    keep: float = 0.5,
) -> Run:
    """One query's RM3 run: its terms at `keep`, the feedback terms at 1 - keep."""
    original = dict.fromkeys(index.qterms[qid], 1.0)
    first = sorted(index.score(original, K1, B).items(), key=lambda kv: -kv[1])[:docs]
    if not first:
        return {qid: {}}
    total = sum(s for _, s in first)
    wanted = {doc: s / total for doc, s in first}
    weights: dict[str, float] = {}
    for doc, share in wanted.items():
        for term, f in terms_of[doc].items():
            weights[term] = weights.get(term, 0.0) + share * f / index.length[doc]
    feedback = dict(sorted(weights.items(), key=lambda kv: -kv[1])[:terms])
    norm = sum(feedback.values())
    mixed = {t: keep / len(original) for t in original}
    for term, w in feedback.items():
        mixed[term] = mixed.get(term, 0.0) + (1 - keep) * w / norm
    return {qid: index.top(index.score(mixed, K1, B))}


def fuse(keyword: Run, dense: np.ndarray, qids: list[str], ids: list[str], alpha: float) -> Run:
    """fusion.convex_fuse over bench runs: `dense` is query x document cosines."""
    from paperwire.search.fusion import convex_fuse

    at = {d: n for n, d in enumerate(ids)}
    out: Run = {}
    for row, q in enumerate(qids):
        kw = sorted(keyword[q].items(), key=lambda kv: -kv[1])
        top = np.argsort(-dense[row])[:100]
        cands = {at[d] for d, _ in kw} | set(top.tolist())
        fused = convex_fuse(
            ([at[d] for d, _ in kw], [s for _, s in kw]),
            {i: float(dense[row, i]) for i in cands},
            alpha,
        )
        out[q] = {ids[i]: s for i, s in zip(*fused, strict=True)}
    return out


def dense_run(scores: np.ndarray, qids: list[str], ids: list[str]) -> Run:
    return {
        q: {ids[i]: float(scores[row, i]) for i in np.argsort(-scores[row])[:100]}
        for row, q in enumerate(qids)
    }


def sentence_windows(whole: Any, title: str, abstract: str, budget: int = 64) -> list[list[int]]:
    """The title (at most 32 word pieces) and a full stop before each run of whole
    sentences of at most `budget` word pieces (a longer sentence alone, cut to fit the
    model's MAX_TOKENS)."""
    from paperwire.search.embeddings import MAX_TOKENS

    cls, sep, stop = (whole.token_to_id(t) for t in ("[CLS]", "[SEP]", "."))
    head = whole.encode(title, add_special_tokens=False).ids[:32]
    runs: list[list[int]] = []
    for sentence in SENTENCE_END.split(abstract) if abstract else []:
        ids = whole.encode(sentence, add_special_tokens=False).ids
        if runs and len(runs[-1]) + len(ids) <= budget:
            runs[-1] = runs[-1] + ids
        else:
            runs.append(ids)
    room = MAX_TOKENS - 3 - len(head)  # [CLS], the full stop and [SEP]
    return [[cls, *head, stop, *r[:room], sep] for r in runs] or [[cls, *head, sep]]


def embed_windows(
    embedder: Any, windows: list[list[list[int]]]
) -> tuple[np.ndarray, np.ndarray, float]:
    """(window vectors, the paper of each, papers/s)."""
    vecs, owner = [], []
    start = time.perf_counter()
    for paper, wins in enumerate(windows):
        for w in wins:
            vecs.append(embedder._run_ids([w])[0])
            owner.append(paper)
    rate = len(windows) / (time.perf_counter() - start)
    return np.array(vecs), np.array(owner), rate


def pooled(vecs: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    mean = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    np.add.at(mean, owner, vecs)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def max_sim(queries: np.ndarray, vecs: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    best = np.full((n, len(queries)), -1.0, dtype=np.float32)
    np.maximum.at(best, owner, (queries @ vecs.T).T)
    return best.T


def adapter(x: np.ndarray, y: np.ndarray, tau: float = 0.02, epochs: int = 3) -> np.ndarray:
    """W minimizing InfoNCE of normalize(W x) against y (in-batch negatives), from I."""
    rng = np.random.default_rng(0)
    w = np.eye(x.shape[1], dtype=np.float32)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for at in range(0, len(x), 256):
            b = order[at : at + 256]
            z = x[b] @ w.T
            nz = np.linalg.norm(z, axis=1, keepdims=True)
            u = z / nz
            logits = u @ y[b].T / tau
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            gu = (p - np.eye(len(b))) @ y[b] / len(b) / tau
            gz = (gu - (gu * u).sum(axis=1, keepdims=True) * u) / nz
            w -= 0.05 * (gz.T @ x[b])
    return w


def smoothed(vecs: np.ndarray, k: int, beta: float) -> np.ndarray:
    """Each paper's vector plus `beta` x the mean of its `k` nearest papers' (document
    expansion by neighbours: computable at embedding time, no cost at query time)."""
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -1.0)
    near = np.argpartition(-sim, k, axis=1)[:, :k]
    out = vecs + beta * vecs[near].mean(axis=1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--collection", type=Path, default=ROOT.parent / "shared/data/ir/scifact")
    args = parser.parse_args()
    os.environ.setdefault("PAPERWIRE_DATA_DIR", "/nonexistent-bench-ceiling")
    from paperwire.search.embeddings import Embedder, whole_tokenizer

    corpus, queries, qrels = load_collection(args.collection)
    qids = [q for q in queries if q in qrels]
    ids = list(corpus)
    n = len(ids)
    print(f"{args.collection.name}: {n} documents, {len(qids)} queries; load average "
          f"{os.getloadavg()}", flush=True)  # fmt: skip
    index = PlainBM25(corpus, {q: queries[q] for q in qids})
    bm25 = {q: index.top(index.score(dict.fromkeys(index.qterms[q], 1.0), K1, B)) for q in qids}
    terms_of = forward(index)
    feedback: Run = {}
    for q in qids:
        feedback.update(rm3(index, terms_of, q))

    embedder = Embedder(threads=2, windows="2")
    whole = whole_tokenizer()
    qv = np.array([embedder.encode_query(queries[q]) for q in qids])
    texts = [f"{t.strip()}. {x.strip()}".strip(". ") for t, x in (corpus[i] for i in ids)]
    two, two_owner, two_rate = embed_windows(embedder, [embedder.windows_of(t) for t in texts])
    sents = [sentence_windows(whole, *corpus[i]) for i in ids]
    sent, sent_owner, sent_rate = embed_windows(embedder, sents)
    mean = pooled(two, two_owner, n)
    titles = np.array([embedder.encode_query(corpus[i][0] or " ") for i in ids])
    abstracts = embedder.encode([corpus[i][1] or " " for i in ids])
    w = adapter(titles, abstracts)
    adapted = qv @ w.T
    adapted /= np.linalg.norm(adapted, axis=1, keepdims=True)

    today = qv @ mean.T
    sent_max = max_sim(qv, sent, sent_owner, n)
    rows: list[tuple[str, Run, np.ndarray, float]] = [
        ("today: two windows' mean + BM25", bm25, today, two_rate),
        ("keyword feedback (RM3) + two windows' mean", feedback, today, two_rate),
        ("two windows, max-sim", bm25, max_sim(qv, two, two_owner, n), two_rate),
        (
            f"sentence windows ({len(sent) / n:.1f} a paper), their mean",
            bm25,
            qv @ pooled(sent, sent_owner, n).T,
            sent_rate,
        ),
        ("sentence windows, max-sim", bm25, sent_max, sent_rate),
        (
            "0.3 x two windows' mean + 0.7 x sentence max-sim",
            bm25,
            0.3 * today + 0.7 * sent_max,
            1 / (1 / two_rate + 1 / sent_rate),
        ),
        ("corpus adapter on the query (title -> abstract)", bm25, adapted @ mean.T, two_rate),
        ("neighbour smoothing (k 3, 0.1)", bm25, qv @ smoothed(mean, 3, 0.1).T, two_rate),
    ]
    base = own_metrics(bm25, qrels)["ndcg@10"]
    print(f"\nplain BM25 (k1 {K1}, b {B}): {base:.4f}; RM3: "
          f"{own_metrics(feedback, qrels)['ndcg@10']:.4f}")  # fmt: skip
    print("\n| lever (alone) | dense nDCG@10 | hybrid a 0.5 | hybrid a 0.6 | papers/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, keyword, dense, rate in rows:
        d = own_metrics(dense_run(dense, qids, ids), qrels)["ndcg@10"]
        h = [own_metrics(fuse(keyword, dense, qids, ids, a), qrels)["ndcg@10"] for a in (0.5, 0.6)]
        print(f"| {name} | {d:.4f} | {h[0]:.4f} | {h[1]:.4f} | {rate:.1f} |", flush=True)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
