"""Search benchmarks: relevance, embedding throughput, vector-index recall, latency.

    .venv/bin/python bench/search.py                 # everything, bounded (~15 min on 2 cores)
    .venv/bin/python bench/search.py --only eval     # eval | throughput | recall | latency
    .venv/bin/python bench/search.py --only latency --latency-n 1000000 \
        --data-dir /tmp/pw-bench-1m      # keep the database; a re-run skips the fill

Each part prints a table with its baseline measured in the same run:
- eval: MRR@10 / nDCG@10 of BM25, dense and hybrid on bench/eval_queries.jsonl over
  the demo papers, and the fusion sweep the default parameters were chosen from.
- throughput: `embed_missing` papers/s next to the bare ONNX session on the same batch.
- recall: real MiniLM embeddings of --recall-n synthesized paper texts (cached in
  ~/.cache/paperwire-bench); recall@10 of paperwire's IVF, usearch, hnswlib, faiss HNSW
  against exact numpy.
- latency: --latency-n synthetic papers (realistic field lengths, random unit vectors)
  in a real paperwire database, the vector snapshot built as the app builds it;
  end-to-end hybrid search (query embedding included) next to the raw FTS5 query, the
  raw exact and IVF vector queries; snapshot build time and size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Before numpy: one BLAS thread, as in the app's processes (src/paperwire/__init__.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "paperwire" / "data" / "demo_papers.jsonl"
EVAL = REPO / "bench" / "eval_queries.jsonl"
CACHE = Path(os.environ.get("PAPERWIRE_BENCH_CACHE", Path.home() / ".cache" / "paperwire-bench"))


def setup_django(data_dir: Path) -> None:
    os.environ["PAPERWIRE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
    os.environ.setdefault("PAPERWIRE_SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    sys.stdout.flush()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def timed(fn: Callable[[], Any], runs: list[float], cpu: list[float] | None = None) -> Any:
    """Run fn, appending its wall-clock ms to runs (and the process's CPU ms to cpu)."""
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    runs.append((time.perf_counter() - t) * 1000)
    if cpu is not None:
        cpu.append((time.process_time() - c) * 1000)
    return out


def demo_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO.read_text().splitlines() if line.strip()]


# --- eval -----------------------------------------------------------------------------


def part_eval() -> None:
    from paperwire.papers.transfer import import_file
    from paperwire.search import engine, evaluation
    from paperwire.search.fusion import FusionParams
    from paperwire.search.vectors import embed_missing

    import_file(DEMO)
    embed_missing(batch_size=64)
    engine.reset_caches()
    judged = evaluation.load_judgements(EVAL)
    scores = evaluation.compare(judged)
    table(
        f"Relevance on {len(judged)} judged queries over the 137 demo papers",
        ["ranker", "MRR@10", "nDCG@10"],
        [[name, s["mrr@10"], s["ndcg@10"]] for name, s in scores.items()],
    )
    rows = []
    for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        s = evaluation.evaluate(evaluation.hybrid_ranker(FusionParams(alpha=alpha)), judged)
        rows.append([f"convex alpha={alpha}", s["mrr@10"], s["ndcg@10"]])
    for w in (0.3, 0.5, 0.7):
        for k in (10, 60):
            p = FusionParams(method="rrf", dense_weight=w, rrf_k=k)
            s = evaluation.evaluate(evaluation.hybrid_ranker(p), judged)
            rows.append([f"rrf dense_weight={w} k={k}", s["mrr@10"], s["ndcg@10"]])
    table("Fusion sweep (default: convex alpha=0.5)", ["fusion", "MRR@10", "nDCG@10"], rows)


# --- throughput -----------------------------------------------------------------------


def part_throughput(n: int = 64) -> None:
    from paperwire.papers.models import Paper
    from paperwire.search.embeddings import Embedder, embedding_text
    from paperwire.search.models import PaperVector
    from paperwire.search.vectors import embed_missing

    if not Paper.objects.exists():
        from paperwire.papers.transfer import import_file

        import_file(DEMO)
    threads = os.cpu_count() or 1
    embedder = Embedder(threads=threads)
    papers = list(Paper.objects.order_by("pk")[:n])
    texts = [embedding_text(p.title, p.abstract) for p in papers]
    embedder.encode(texts[:4])  # warm up
    # The runtime alone: tokenized batches straight into the session, no pooling or DB.
    encs = embedder.tokenizer.encode_batch(sorted(texts, key=len))
    t = time.perf_counter()
    for i in range(0, len(encs), 16):
        batch = encs[i : i + 16]
        width = max(len(e.ids) for e in batch)
        ids = np.array([e.ids + [0] * (width - len(e.ids)) for e in batch], dtype=np.int64)
        mask = (ids != 0).astype(np.int64)
        embedder.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
    raw = len(texts) / (time.perf_counter() - t)
    PaperVector.objects.filter(paper__in=papers).delete()
    t = time.perf_counter()
    done = embed_missing(batch_size=64, embedder=embedder, limit=n)
    ours = done / (time.perf_counter() - t)
    table(
        f"Embedding throughput ({n} demo abstracts, batch 16, {threads} threads)",
        ["path", "papers/s"],
        [["ONNX Runtime session.run alone", raw], ["paperwire embed_missing (+DB)", ours]],
    )


# --- recall -----------------------------------------------------------------------------


def synth_texts(n: int, seed: int) -> list[str]:
    """Paper-like texts recombined from the demo titles and abstracts."""
    rows = demo_rows()
    titles = [r["title"].split() for r in rows]
    abstracts = [r["summary"].split() for r in rows]
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        a, b, w = rnd.choice(titles), rnd.choice(titles), rnd.choice(abstracts)
        start = rnd.randrange(max(1, len(w) - 24))
        out.append(" ".join(a[: len(a) // 2] + b[len(b) // 2 :] + w[start : start + 24]))
    return out


def real_embeddings(n: int, seed: int) -> np.ndarray:
    from paperwire.search.embeddings import MODEL_KEY, Embedder

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"recall-{n}-{seed}-{MODEL_KEY.split('-')[-1]}.npy"
    if path.exists():
        return np.load(path)
    texts = synth_texts(n, seed)
    embedder = Embedder(threads=os.cpu_count() or 1)
    t = time.perf_counter()
    vecs = embedder.encode(texts, batch_size=64)
    print(f"embedded {n} texts in {time.perf_counter() - t:.0f} s", flush=True)
    np.save(path, vecs)
    return vecs


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f[:10]) & set(t[:10])) for f, t in zip(found, truth, strict=True))
    return hits / (10 * len(truth))


def part_recall(n: int, n_queries: int = 200) -> None:
    base = real_embeddings(n, seed=1)
    queries = real_embeddings(n_queries, seed=2)
    rows: list[list[Any]] = []
    ms: list[float] = []
    truth = np.stack([timed(lambda q=q: exact_top(base, q, 10), ms) for q in queries])
    rows.append(["exact numpy (baseline)", "-", 1.0, statistics.median(ms), base.nbytes / 2**20])
    for name, build in INDEXES.items():
        try:
            t = time.perf_counter()
            search, mem, knobs = build(base)
            built = time.perf_counter() - t
        except ImportError:
            rows.append([name, "not installed", "-", "-", "-"])
            continue
        for knob in knobs:
            ms = []
            found = np.stack(
                [timed(lambda q=q, s=search, e=knob: s(q, 10, e), ms) for q in queries]
            )
            rows.append(
                [f"{name} {knob}", f"{built:.1f} s", recall_at_10(found, truth),
                 statistics.median(ms), mem() / 2**20]
            )  # fmt: skip
    table(
        f"Vector index recall@10 vs exact, {n} real MiniLM embeddings, {n_queries} queries",
        ["index", "build", "recall@10", "p50 ms", "memory MiB"],
        rows,
    )


def exact_top(base: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    scores = base @ q
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def _usearch(base: np.ndarray) -> tuple[Callable[..., np.ndarray], Callable[[], int], list[int]]:
    from usearch.index import Index

    index = Index(ndim=base.shape[1], metric="cos", dtype="f32", connectivity=16,
                  expansion_add=128)  # fmt: skip
    index.add(np.arange(len(base)), base, threads=os.cpu_count() or 1)

    def search(q: np.ndarray, k: int, ef: int) -> np.ndarray:
        index.expansion_search = ef
        return np.asarray(index.search(q, k).keys)

    return search, lambda: int(index.memory_usage), [32, 64, 128]


def _paperwire_hnsw(
    base: np.ndarray,
) -> tuple[Callable[..., np.ndarray], Callable[[], int], list[int]]:
    """paperwire's default (search/ann.py): usearch over 8-bit vectors, ann.CANDIDATES
    candidates re-scored with the float32 rows, as Snapshot.search does."""
    from paperwire.search import ann

    index = ann.build_hnsw(np.arange(len(base)), base)

    def search(q: np.ndarray, k: int, ef: int) -> np.ndarray:
        index.expansion_search = ef
        found = ann.search_hnsw(index, q, max(k, ann.CANDIDATES))
        return found[np.argsort(-(base[found] @ q), kind="stable")[:k]]

    return search, lambda: int(index.memory_usage), [64, 128]


def _hnswlib(base: np.ndarray) -> tuple[Callable[..., np.ndarray], Callable[[], int], list[int]]:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.init_index(max_elements=len(base), ef_construction=128, M=16)
    index.set_num_threads(os.cpu_count() or 1)
    index.add_items(base, np.arange(len(base)))
    index.set_num_threads(1)

    def search(q: np.ndarray, k: int, ef: int) -> np.ndarray:
        index.set_ef(ef)
        return index.knn_query(q, k)[0][0]

    # hnswlib has no memory probe: vectors + links of M*2 neighbours on level 0.
    return search, lambda: len(base) * (base.shape[1] * 4 + 16 * 2 * 4 + 16), [32, 64, 128]


def _faiss(base: np.ndarray) -> tuple[Callable[..., np.ndarray], Callable[[], int], list[int]]:
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    index = faiss.IndexHNSWFlat(base.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 128
    index.add(base)
    faiss.omp_set_num_threads(1)

    def search(q: np.ndarray, k: int, ef: int) -> np.ndarray:
        index.hnsw.efSearch = ef
        return index.search(q[None, :], k)[1][0]

    return search, lambda: len(base) * (base.shape[1] * 4 + 16 * 2 * 8), [32, 64, 128]


def _ivf(base: np.ndarray) -> tuple[Callable[..., np.ndarray], Callable[[], int], list[int]]:
    """paperwire's own inverted file (search/ann.py): sqrt(n) lists, probed `knob` lists."""
    import math

    from paperwire.search import ann

    lists = max(2, round(math.sqrt(len(base))))
    centroids = ann.train(base, lists)
    near = ann.assign(base, centroids)
    perm = np.argsort(near, kind="stable")
    offsets = np.searchsorted(near[perm], np.arange(lists + 1))
    stored = np.ascontiguousarray(base[perm])

    def search(q: np.ndarray, k: int, probe: int) -> np.ndarray:
        pos, _ = ann.search(stored, centroids, offsets, q, k, probe)
        return perm[pos]

    return search, lambda: stored.nbytes + centroids.nbytes, [8, 16, 32, 64]


INDEXES = {
    "paperwire IVF (nprobe)": _ivf,
    "paperwire HNSW, i8 + re-score (ef)": _paperwire_hnsw,
    "usearch HNSW": _usearch,
    "hnswlib HNSW": _hnswlib,
    "faiss HNSWFlat": _faiss,
}


# --- latency ----------------------------------------------------------------------------


def synth_corpus(n: int, seed: int = 3) -> tuple[list[str], list[str]]:
    """Titles (~10 words) and abstracts (~170 words) drawn from the demo's word stream."""
    rows = demo_rows()
    stream = [w for r in rows for w in (r["title"] + " " + r["summary"]).split()]
    rnd = random.Random(seed)
    titles, abstracts = [], []
    for _ in range(n):
        i = rnd.randrange(len(stream) - 400)
        j = rnd.randrange(len(stream) - 400)
        titles.append(" ".join(stream[i : i + rnd.randint(6, 14)]))
        abstracts.append(" ".join(stream[j : j + rnd.randint(120, 230)]))
    return titles, abstracts


def fill_database(n: int) -> dict[str, float]:
    """n synthetic papers with random unit vectors, through the app's bulk paths: papers
    inserted with the keyword index deferred (as ingestion does), vectors stored with
    their pgvector value on PostgreSQL, whose HNSW index is built once at the end.
    Returns seconds per phase."""
    from django.db import connection, transaction
    from django.utils import timezone

    from paperwire.papers.indexing import NewPaperText, deferred_indexing
    from paperwire.papers.models import Paper
    from paperwire.search.embeddings import DIM, MODEL_KEY
    from paperwire.search.models import PaperVector

    postgresql = connection.vendor == "postgresql"
    titles, abstracts = synth_corpus(n)
    rng = np.random.default_rng(4)
    now = timezone.now()
    t = time.perf_counter()
    if postgresql:
        from paperwire.search import pg_sql
        from paperwire.search.backends.postgresql import pgvector

        with connection.cursor() as cur:
            pg_sql.drop_vector_index(cur)
    chunk = 5000
    for start in range(0, n, chunk):
        # As the ingest does: the keyword index is written in one batch per chunk.
        with transaction.atomic(), deferred_indexing() as pending:
            made = Paper.objects.bulk_create(
                Paper(
                    public_id=f"bench{start + i}",
                    title=titles[start + i],
                    title_key=f"bench{start + i}",
                    abstract=abstracts[start + i],
                    published_at=now,
                )
                for i in range(min(chunk, n - start))
            )
            pending.papers.extend(NewPaperText(p.pk, p.title, p.abstract, []) for p in made)
        with transaction.atomic():
            vecs = rng.standard_normal((len(made), DIM)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            if postgresql:
                pgvector.store_vectors(
                    connection,
                    [
                        (p.pk, MODEL_KEY, DIM, v.tobytes(), "", now)
                        for p, v in zip(made, vecs, strict=True)
                    ],
                )
            else:
                PaperVector.objects.bulk_create(
                    PaperVector(paper_id=p.pk, model=MODEL_KEY, dim=DIM, vector=v.tobytes(),
                                text_hash="", embedded_at=now)
                    for p, v in zip(made, vecs, strict=True)
                )  # fmt: skip
        print(f"\r  stored {start + len(made)}/{n} papers", end="", flush=True)
    times = {"rows_s": time.perf_counter() - t}
    t = time.perf_counter()
    with connection.cursor() as cur:
        if postgresql:
            with transaction.atomic():
                pg_sql.build_vector_index(cur, memory="6GB", workers=2)
            times["hnsw_s"] = time.perf_counter() - t
            t = time.perf_counter()
            cur.execute("VACUUM ANALYZE")
            times["vacuum_s"] = time.perf_counter() - t
        else:
            cur.execute("PRAGMA optimize")
    print(f"  ({', '.join(f'{k} {v:.0f}' for k, v in times.items())})")
    return times


def _dir_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.iterdir()) / 2**20


def part_latency(
    n: int, n_queries: int = 100, fill: bool = True, prepare_only: bool = False
) -> None:
    from django.conf import settings
    from django.db import connection

    from paperwire.search import engine, snapshot
    from paperwire.search.backends.sqlite import fts
    from paperwire.search.backends.sqlite.vector_index import INDEX
    from paperwire.search.embeddings import get_embedder
    from paperwire.search.query import fts_match, parse_query

    if fill:
        fill_database(n)
    engine.reset_caches()
    from paperwire.search import ann

    snap = snapshot.open_current()
    want_hnsw = n > ann.exact_max() and ann.kind() == "hnsw"
    if snap is None or len(snap.ids) != n or (snap.hnsw is not None) != want_hnsw:
        t = time.perf_counter()
        snapshot.build()
        print(f"  vector snapshot built in {time.perf_counter() - t:.0f} s", flush=True)
        snap = snapshot.open_current()
    assert snap is not None
    if prepare_only:
        print(f"  prepared {n} papers and their snapshot in {settings.DATA_DIR}")
        return
    meta = json.loads((snap.path / "meta.json").read_text())
    queries = [json.loads(line)["query"] for line in EVAL.read_text().splitlines() if line]
    queries = (queries * (n_queries // len(queries) + 1))[:n_queries]
    emb = get_embedder()
    t = time.perf_counter()
    st = INDEX.state()
    open_s = time.perf_counter() - t
    assert st.snap is not None and len(st.ids) == 0, "the benchmark wants an empty delta"
    for q in queries[:5]:
        engine.search(q)  # warm caches
    names = ["fts", "emb", "exact", "ivf", "kw", "ours"]
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    sql = (
        f"SELECT rowid FROM {fts.FTS_TABLE} WHERE {fts.FTS_TABLE} MATCH %s "
        f"ORDER BY {fts.bm25_sql()} LIMIT 100"
    )
    overlap = 0
    # The two unindexed baselines take seconds a query at 1M: they run on the first
    # `n_base` queries only (the same queries for both).
    n_base = len(queries) if n <= 200_000 else min(len(queries), 20)
    for i, q in enumerate(queries):
        vec = timed(lambda q=q: emb.encode_query(q), wall["emb"], cpu["emb"])
        found, _ = timed(lambda v=vec: snap.search(v, 100), wall["ivf"], cpu["ivf"])
        if i < n_base:
            expr = fts_match(parse_query(q))
            with connection.cursor() as cur:
                timed(
                    lambda e=expr, c=cur: (c.execute(sql, [e]), c.fetchall()),
                    wall["fts"], cpu["fts"],
                )  # fmt: skip
            exact = timed(lambda v=vec: exact_top(snap.matrix, v, 100), wall["exact"], cpu["exact"])
            overlap += len(set(snap.ids[exact[:10]].tolist()) & set(found[:10].tolist()))
        timed(lambda q=q: engine.search(q, semantic=False), wall["kw"], cpu["kw"])
        timed(lambda q=q: engine.search(q), wall["ours"], cpu["ours"])
    lists = len(snap.offsets) - 1
    base = "" if n_base == len(queries) else f", first {n_base} queries"
    labels = {
        "fts": f"raw FTS5 bm25 query (top 100, OR of the words{base})",
        "emb": "raw query embedding (ONNX)",
        "exact": f"raw exact numpy top-100 (mapped snapshot{base})",
        "ivf": (
            "raw usearch HNSW top-100 (mapped 8-bit graph, ef 128, "
            f"{ann.CANDIDATES} candidates re-scored exactly)"
            if snap.hnsw is not None
            else f"raw IVF top-100 ({lists} lists, nprobe {min(lists, ann_nprobe())})"
        ),
        "kw": "paperwire keyword search",
        "ours": "paperwire hybrid search (end to end)",
    }
    rows = [
        [labels[k], pct(wall[k], 50), pct(wall[k], 99), pct(cpu[k], 50), pct(cpu[k], 99)]
        for k in names
    ]
    table(
        f"Latency, {n} papers, {len(queries)} queries (load average "
        f"{os.getloadavg()[0]:.1f}; snapshot opened in {open_s * 1000:.0f} ms). CPU ms: "
        "what the process used, all its threads, so close to an idle machine's wall time",
        ["path", "p50 ms", "p99 ms", "CPU p50 ms", "CPU p99 ms"],
        rows,
    )
    print(
        f"index recall@10 vs exact on these random vectors: {overlap / (10 * n_base):.3f} "
        "(random vectors have no clusters: a worst case; see --only recall for real ones)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ["index", "usearch HNSW (8-bit)" if snap.hnsw is not None else f"IVF, {lists} lists"],
        ["build s (read vectors, build index, write files)", float(meta["build_seconds"])],
        ["files MiB (float32 rows + ids + index)", _dir_mib(snap.path)],
        ["float32 rows MiB (memory-mapped, shared)", snap.matrix.nbytes / 2**20],
        ["process max RSS MiB", rss],
    ]
    if snap.hnsw is not None:
        graph = snap.path / "hnsw.usearch"
        rows.insert(3, ["HNSW graph file MiB", graph.stat().st_size / 2**20])
        rows.append(["next snapshot's graph: old one extended by 10,000 vectors, s",
                     _extend_seconds(graph, int(snap.sorted_ids[-1]) + 1)])  # fmt: skip
    table("Vector snapshot", ["what", "value"], rows)


def _extend_seconds(graph: Path, first_id: int, n: int = 10_000) -> float:
    """What the next snapshot spends on its graph when the delta is n vectors: load the
    previous graph into memory and add them (as snapshot._hnsw_graph does); not saved."""
    from paperwire.search import ann
    from paperwire.search.embeddings import DIM

    vecs = np.random.default_rng(9).standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    t = time.perf_counter()
    extended = ann.extend_hnsw(
        graph, np.zeros(0, dtype=np.int64), np.arange(first_id, first_id + n), vecs
    )
    took = time.perf_counter() - t
    assert len(extended) >= n
    return took


def ann_nprobe() -> int:
    from paperwire.search import ann

    return ann.nprobe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["eval", "throughput", "recall", "latency"])
    parser.add_argument("--recall-n", type=int, default=20_000)
    parser.add_argument("--latency-n", type=int, default=100_000)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the benchmark database here (latency: reused when it already holds "
        "--latency-n papers, so a second run skips the fill)",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="latency: fill the --data-dir database and build its vector snapshot, then "
        "stop (run the timed part later on a quiet machine)",
    )
    args = parser.parse_args()
    load, py = os.getloadavg()[0], sys.version.split()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}, python {py}")
    parts = [args.only] if args.only else ["eval", "throughput", "recall", "latency"]
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        setup_django(data_dir)
        if "eval" in parts:
            part_eval()
        if "throughput" in parts:
            part_throughput()
        if "recall" in parts:
            part_recall(args.recall_n)
        if "latency" in parts:
            from paperwire.papers.models import Paper

            reuse = Paper.objects.count() == args.latency_n and args.data_dir is not None
            if not reuse:
                Paper.objects.all().delete()
            part_latency(args.latency_n, fill=not reuse, prepare_only=args.prepare_only)


if __name__ == "__main__":
    main()
