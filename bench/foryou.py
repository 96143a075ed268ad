""" "For you": ranking quality on simulated readers, next to arxiv-sanity-lite's SVM, the
cosine to the centroid and recency in the same run; and its speed.

    .venv/bin/python bench/foryou.py [--only quality|speed] [--quick]

Quality. Readers are simulated from the public CISI collection (shared/data/ir/cisi:
1,460 abstracts, 76 judged queries). For each query with at least 6 relevant documents,
READERS_PER_TOPIC readers (fixed seed) have each saved 3 of them; the other relevant
documents are what their "For you" over the whole collection should rank high (nDCG@10,
recall@50). The topics are split in two halves with a fixed seed: the model's constants
are chosen on the development half (the sweep table) and reported on the test half,
beside the baselines on the same readers:
- arxiv-sanity-lite's ranker: TfidfVectorizer as in its compute.py (unigrams and
  bigrams, sublinear tf, min_df 5, max_df 0.5) of title and abstract, and
  LinearSVC(C=0.01, class_weight="balanced") with the saved papers as positives and
  every other paper as a negative, as in its serve.py;
- cosine to the centroid of the saved papers' embeddings;
- recency (CISI has no dates: document numbers stand for arrival order).
Embeddings are the product's (all-MiniLM-L6-v2, int8 ONNX), computed once and kept in
bench/results/.

Speed. A SQLite database with 100,000 papers (text drawn from CISI's words, a vector
each), 5,000 of them in the last 7 feed days, and a reader with 50 positives. Each timed
request adds one upvote first, so the model is retrained on changed positives every time
(the window's features are cached per process, as on a web process; building them is
timed apart). Then the digest's batch: the day's papers scored for 10,000 readers, next
to one bare numpy product of the same sizes measured alternately in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CISI = REPO.parent / "shared" / "data" / "ir" / "cisi"
RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20261203
READERS_PER_TOPIC = 3
SAVED = 3
MIN_RELEVANT = 6


def _setup_django(data_dir: Path) -> None:
    os.environ.update(
        PAPERWIRE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="paperwire.settings",
        PAPERWIRE_SITE_URL="http://127.0.0.1:8000",
    )
    os.environ.pop("PAPERWIRE_DATABASE_URL", None)
    import django

    django.setup()


# --- quality ------------------------------------------------------------------------


def load_cisi(folder: Path) -> tuple[list[dict[str, Any]], dict[str, set[int]]]:
    docs = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    row = {d["_id"]: i for i, d in enumerate(docs)}
    qrels: dict[str, set[int]] = {}
    for line in (folder / "qrels.tsv").read_text().splitlines()[1:]:
        query, doc, _ = line.split("\t")
        qrels.setdefault(query, set()).add(row[doc])
    return docs, qrels


def embeddings_of(docs: list[dict[str, Any]]) -> np.ndarray:
    """The product's embeddings of the collection, computed once (minutes on 2 cores)."""
    import hashlib

    from paperwire.search.embeddings import MODEL_KEY, Embedder, embedding_text

    texts = [embedding_text(d["title"], d["text"]) for d in docs]
    key = hashlib.sha256(("\n".join(texts) + MODEL_KEY).encode()).hexdigest()[:16]
    path = RESULTS / f"cisi-embeddings-{key}.npy"
    if path.exists():
        return np.load(path)
    print(f"embedding {len(texts)} abstracts once (kept in {path.name}) …", flush=True)
    matrix = Embedder(threads=os.cpu_count() or 1).encode(texts, batch_size=16)
    RESULTS.mkdir(exist_ok=True)
    np.save(path, matrix)
    return matrix


def make_readers(qrels: dict[str, set[int]]) -> list[tuple[str, list[int], set[int]]]:
    rng = np.random.default_rng(SEED)
    readers = []
    for query in sorted((q for q, r in qrels.items() if len(r) >= MIN_RELEVANT), key=int):
        relevant = sorted(qrels[query])
        for _ in range(READERS_PER_TOPIC):
            saved = sorted(int(i) for i in rng.choice(relevant, SAVED, replace=False))
            readers.append((query, saved, set(relevant) - set(saved)))
    return readers


def split_topics(readers: list[tuple[str, list[int], set[int]]]) -> tuple[set[str], set[str]]:
    topics = sorted({q for q, _, _ in readers}, key=int)
    order = np.random.default_rng(SEED + 1).permutation(len(topics))
    dev = {topics[i] for i in order[: len(topics) // 2]}
    return dev, set(topics) - dev


def ndcg_recall(scores: np.ndarray, saved: list[int], held: set[int]) -> tuple[float, float]:
    s = np.asarray(scores, dtype=np.float64).copy()
    s[saved] = -np.inf
    ranked = np.argsort(-s, kind="stable")[:50].tolist()
    dcg = sum(1.0 / np.log2(i + 2) for i, doc in enumerate(ranked[:10]) if doc in held)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(10, len(held))))
    return dcg / ideal, len(held & set(ranked)) / len(held)


class OurModel:
    """The product's code on the collection: recommend.text and recommend.model."""

    def __init__(self, texts: list[str], embedding: np.ndarray, buckets: int) -> None:
        from paperwire.recommend import text
        from paperwire.recommend.model import PaperFeatures

        self.text = text
        counts = [text.term_counts(t, buckets) for t in texts]
        stacked = text.stack(counts, buckets)
        self.idf = text.idf_of(stacked)
        tfidf = text.tfidf(stacked, self.idf)
        self.counts, self.buckets = counts, buckets
        has = np.ones(len(texts), dtype=bool)
        self.embedding_mean = embedding.mean(axis=0)
        self.text_mean = tfidf.mean(np.arange(len(texts)))
        self.raw_embedding = embedding
        self.papers = PaperFeatures.build(
            embedding, has, tfidf, self.embedding_mean, self.text_mean
        )

    def scores(
        self, saved: list[int], reader: int, text_share: float, negative_weight: float
    ) -> np.ndarray:
        from paperwire.recommend.model import PaperFeatures, sample_negatives, train

        tfidf = self.text.tfidf(
            self.text.stack([self.counts[i] for i in saved], self.buckets), self.idf
        )
        positives = PaperFeatures.build(
            self.raw_embedding[saved],
            np.ones(len(saved), dtype=bool),
            tfidf,
            self.embedding_mean,
            self.text_mean,
        )
        negatives = sample_negatives(self.papers.size, set(saved), seed=reader)
        model = train(
            positives,
            np.ones(len(saved)),
            self.papers,
            negatives,
            negative_weight=negative_weight,
            text_share=text_share,
        )
        return model.scores(self.papers)


def svm_ranker(texts: list[str]) -> Any:
    from sklearn import svm
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
        lowercase=True, analyzer="word", stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
        max_features=20000, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True,
        max_df=0.5, min_df=5,
    )  # fmt: skip
    x = vectorizer.fit_transform(texts).astype(np.float32)
    print(f"  arxiv-sanity-lite TF-IDF: {x.shape[1]} features (max_features=20000 not binding)")

    def rank(saved: list[int]) -> np.ndarray:
        y = np.zeros(x.shape[0], dtype=np.float32)
        y[saved] = 1.0
        clf = svm.LinearSVC(
            class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01
        )
        clf.fit(x, y)
        return clf.decision_function(x)

    return rank


def _mean(rows: list[tuple[float, float]]) -> tuple[float, float]:
    return float(np.mean([r[0] for r in rows])), float(np.mean([r[1] for r in rows]))


def _paired_ci(ours: list[float], base: list[float], rounds: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval (over readers) of the relative nDCG@10 gain."""
    a, b = np.array(ours), np.array(base)
    rng = np.random.default_rng(SEED)
    gains = []
    for _ in range(rounds):
        pick = rng.integers(0, len(a), len(a))
        gains.append(a[pick].mean() / b[pick].mean() - 1)
    return float(np.percentile(gains, 2.5)), float(np.percentile(gains, 97.5))


def quality(folder: Path) -> None:
    from paperwire.recommend import model as product
    from paperwire.recommend import text as product_text

    docs, qrels = load_cisi(folder)
    texts = [f"{d['title']}\n{d['text']}" for d in docs]
    embedding = embeddings_of(docs)
    readers = make_readers(qrels)
    dev, test = split_topics(readers)
    print(
        f"\nQuality on CISI: {len(docs)} documents, {len({q for q, _, _ in readers})} topics "
        f"with >= {MIN_RELEVANT} relevant, {len(readers)} readers ({READERS_PER_TOPIC} per "
        f"topic, {SAVED} saved each); topics split {len(dev)} development / {len(test)} test"
    )
    dev_readers = [(i, r) for i, r in enumerate(readers) if r[0] in dev]
    test_readers = [(i, r) for i, r in enumerate(readers) if r[0] in test]

    print("\nDevelopment half: the model's constants (nDCG@10 / recall@50)")
    print(f"{'buckets':>8} {'text share':>11} {'negatives':>10} {'nDCG@10':>8} {'R@50':>7}")
    best: tuple[float, int, float, float] | None = None
    models: dict[int, OurModel] = {}
    for buckets in (1024, 2048, 4096):
        models[buckets] = OurModel(texts, embedding, buckets)
        for share in (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
            for negative in (0.0, 1.0):
                rows = [
                    ndcg_recall(models[buckets].scores(s, i, share, negative), s, held)
                    for i, (_, s, held) in dev_readers
                ]
                n, r = _mean(rows)
                print(f"{buckets:>8} {share:>11.1f} {negative:>10.1f} {n:>8.4f} {r:>7.4f}")
                if best is None or n > best[0]:
                    best = (n, buckets, share, negative)
    assert best is not None
    _, buckets, share, negative = best
    shipped = (product_text.BUCKETS, product.TEXT_SHARE, product.NEGATIVE_WEIGHT)
    print(
        f"chosen on development: buckets {buckets}, text share {share}, negative weight "
        f"{negative}; the product ships buckets {shipped[0]}, text share {shipped[1]}, "
        f"negative weight {shipped[2]}"
    )
    ours_model = models.get(shipped[0]) or OurModel(texts, embedding, shipped[0])
    svm = svm_ranker(texts)
    recency = np.arange(len(docs), dtype=np.float64)
    rankers = {
        "paperwire For you (shipped)": lambda i, s: ours_model.scores(s, i, shipped[1], shipped[2]),
        "arxiv-sanity-lite SVM (TF-IDF)": lambda i, s: svm(s),
        "cosine to centroid (embeddings)": lambda i, s: embedding @ embedding[s].mean(axis=0),
        "recency": lambda i, s: recency,
    }
    for label, group in (("Test half", test_readers), ("All topics", list(enumerate(readers)))):
        print(f"\n{label}: {len(group)} readers")
        print(f"{'ranker':<34} {'nDCG@10':>8} {'R@50':>7} {'vs SVM':>8}")
        per: dict[str, list[tuple[float, float]]] = {}
        for name, rank in rankers.items():
            per[name] = [ndcg_recall(rank(i, s), s, held) for i, (_, s, held) in group]
        svm_n = _mean(per["arxiv-sanity-lite SVM (TF-IDF)"])[0]
        for name, rows in per.items():
            n, r = _mean(rows)
            print(f"{name:<34} {n:>8.4f} {r:>7.4f} {100 * (n / svm_n - 1):>+7.1f}%")
        lo, hi = _paired_ci(
            [r[0] for r in per["paperwire For you (shipped)"]],
            [r[0] for r in per["arxiv-sanity-lite SVM (TF-IDF)"]],
        )
        print(
            "relative nDCG@10 gain over the SVM, 95% bootstrap interval: "
            f"{100 * lo:+.1f}% .. {100 * hi:+.1f}%"
        )


# --- speed --------------------------------------------------------------------------


def _vocabulary(folder: Path) -> list[str]:
    import re

    words: dict[str, int] = {}
    for line in (folder / "corpus.jsonl").open(encoding="utf-8"):
        for w in re.findall(r"[a-z]{3,}", json.loads(line)["text"].lower()):
            words[w] = words.get(w, 0) + 1
    return [w for w, _ in sorted(words.items(), key=lambda kv: -kv[1])]


def _fill(papers: int, window: int, folder: Path) -> Any:
    """papers rows with vectors, `window` of them in the last 7 feed days; returns the
    reader (50 positives: 30 in the window, 20 older)."""
    import datetime as dt

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from paperwire.community.models import Save, Upvote
    from paperwire.papers.models import FeedEntry, Paper
    from paperwire.search.embeddings import DIM, MODEL_KEY
    from paperwire.search.models import PaperVector

    rng = np.random.default_rng(SEED)
    vocab = _vocabulary(folder)
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    centers = rng.normal(size=(40, DIM)).astype(np.float32)
    now = timezone.now()
    today = now.date()
    start = time.perf_counter()
    for lo in range(0, papers, 2000):
        n = min(2000, papers - lo)
        words = rng.choice(len(vocab), size=(n, 120), p=zipf)
        topic = rng.integers(0, len(centers), n)
        vecs = centers[topic] + rng.normal(scale=1.2, size=(n, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        with transaction.atomic():
            rows = Paper.objects.bulk_create(
                Paper(
                    public_id=f"bench{lo + i:07d}",
                    title=" ".join(vocab[w] for w in words[i, :8]).capitalize(),
                    title_key=f"bench {lo + i}",
                    abstract=" ".join(vocab[w] for w in words[i]),
                    published_at=now - dt.timedelta(days=int((papers - lo - i) // 100)),
                )
                for i in range(n)
            )
            PaperVector.objects.bulk_create(
                PaperVector(
                    paper=p, model=MODEL_KEY, dim=DIM, vector=vecs[i].astype("<f4").tobytes(),
                    text_hash="bench", embedded_at=now,
                )
                for i, p in enumerate(rows)
            )  # fmt: skip
            first_in_window = papers - window
            FeedEntry.objects.bulk_create(
                FeedEntry(
                    paper=p,
                    feed_date=today - dt.timedelta(days=int((papers - lo - i - 1) * 7 // window)),
                    submitted_at=now,
                    upvotes=int(rng.integers(0, 30)),
                )
                for i, p in enumerate(rows)
                if lo + i >= first_in_window
            )
        print(
            f"\r  {lo + n:,} papers stored ({time.perf_counter() - start:.0f} s)",
            end="",
            flush=True,
        )
    print()
    user = User.objects.create_user("reader", "reader@example.org", "x" * 20)
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    in_window = rng.choice(ids[-window:], 30, replace=False)
    older = rng.choice(ids[:-window], 20, replace=False)
    for pk in in_window[:15]:
        Upvote.objects.create(user=user, paper_id=int(pk))
    for pk in [*in_window[15:], *older]:
        Save.objects.create(user=user, paper_id=int(pk))
    return user, ids


def _p50(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def speed(folder: Path, papers: int, window: int, readers: int, data_dir: Path) -> None:
    """Fill the database here, then time in a fresh process, as a web process and a
    worker meet it (the loader's process carries the bulk load's state)."""
    import subprocess

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"\nSpeed: {papers:,} papers, {window:,} in the last 7 feed days (SQLite, {data_dir})")
    _fill(papers, window, folder)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    args = [
        sys.executable,
        __file__,
        "--time",
        str(data_dir),
        str(papers),
        str(window),
        str(readers),
    ]
    subprocess.run(args, check=True)


def time_reader(papers: int, window: int, readers: int) -> None:
    """The timed part, in its own process: For you for the reader, then the digest batch."""
    from django.contrib.auth.models import User

    from paperwire.community.models import Upvote
    from paperwire.papers.models import Paper
    from paperwire.recommend import candidates
    from paperwire.recommend.model import score_readers, unit_rows
    from paperwire.recommend.ranking import for_you, positives_of

    user = User.objects.get(username="reader")
    assert len(positives_of(user)) == 50
    start = time.perf_counter()
    built = candidates.WINDOWS.get(7)
    print(
        f"window features built once per process: {time.perf_counter() - start:.2f} s, "
        f"{built.features.size:,} papers"
    )
    outside = list(Paper.objects.filter(feed_entry__isnull=True).values_list("pk", flat=True))
    rng = np.random.default_rng(SEED + 2)
    extra = [int(pk) for pk in rng.choice(outside, 60, replace=False)]
    timings, bare = [], []
    first = for_you(user, limit=20)
    assert first.mode == "model", first.mode
    for k in range(40):
        # A new positive each time: the model is retrained on changed positives.
        vote = Upvote.objects.create(user=user, paper_id=extra[k])
        t0 = time.perf_counter()
        ranked = for_you(user, limit=20)
        timings.append(time.perf_counter() - t0)
        assert ranked.mode == "model" and len(ranked.picks) == 20
        assert ranked.positives == 51
        vote.delete()
        t0 = time.perf_counter()
        # The bare product it contains: the window's embeddings times one vector.
        (built.features.embedding @ built.features.embedding[0]).argsort()[-20:]
        bare.append(time.perf_counter() - t0)
    print(
        f"{'for you, 50 positives, model retrained':<46} p50 {_p50(timings)}  "
        f"(p90 {sorted(timings)[int(len(timings) * 0.9)] * 1000:.1f} ms)"
    )
    print(f"{'bare: window embeddings x one vector, top 20':<46} p50 {_p50(bare)}")

    day = window // 7
    papers_dense = built.features.dense(np.arange(day))
    noise = np.random.default_rng(SEED + 3).normal(size=(readers, papers_dense.shape[1]))
    weights = unit_rows(noise.astype(np.float32))
    ours, raw = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        score_readers(weights, papers_dense, 5)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        product = weights @ papers_dense.T
        raw.append(time.perf_counter() - t0)
        del product
    ratio = statistics.median(ours) / statistics.median(raw)
    print(
        f"\nDigest batch: the day's {day:,} papers for {readers:,} readers "
        f"({papers_dense.shape[1]} features each)"
    )
    print(f"{'score_readers (product + top 5 per reader)':<46} p50 {_p50(ours)}")
    print(f"{'bare numpy product of the same sizes':<46} p50 {_p50(raw)}")
    print(f"ratio {ratio:.2f} (goal: at most 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["quality", "speed"])
    parser.add_argument("--quick", action="store_true", help="speed on 10,000 papers")
    parser.add_argument("--cisi", type=Path, default=CISI, help="the CISI folder")
    parser.add_argument("--time", nargs=4, help=argparse.SUPPRESS)  # the timed child
    args = parser.parse_args()
    if args.time:
        _setup_django(Path(args.time[0]))
        time_reader(*(int(v) for v in args.time[1:]))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    if not args.cisi.is_dir():
        sys.exit(f"no CISI collection at {args.cisi} (--cisi FOLDER)")
    data_dir = Path(tempfile.mkdtemp(prefix="paperwire-bench-foryou-"))
    _setup_django(data_dir)
    if args.only != "speed":
        quality(args.cisi)
    if args.only != "quality":
        if args.quick:
            speed(args.cisi, 10_000, 1_000, 1_000, data_dir)
        else:
            speed(args.cisi, 100_000, 5_000, 10_000, data_dir)


if __name__ == "__main__":
    main()
