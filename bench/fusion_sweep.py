"""The relevance levers, each against today's ranking in the same run, in process.

    .venv/bin/python bench/fusion_sweep.py --data-dir DIR --collection DIR   # after bench/ir.py
    .venv/bin/python bench/fusion_sweep.py --eval                           # the 95 demo queries

The same `engine.search` the API calls, without HTTP; query embeddings are computed once
per query and reused by every configuration. nDCG@10 / MRR@10 by bench/ir.py's code
(cross-checked there against pytrec_eval), or evaluation.py's for the demo queries.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
EVAL = ROOT / "bench" / "eval_queries.jsonl"
DEMO = ROOT / "src" / "paperwire" / "data" / "demo_papers.jsonl"


@dataclass(frozen=True)
class Lever:
    name: str
    fusion: dict[str, Any] = field(default_factory=dict)
    # bm25() weights of title, abstract, authors (today's: 10/3/1).
    weights: tuple[float, float, float] = (10.0, 3.0, 1.0)
    semantic: bool = True


NOW = (1.5, 1.0, 0.3)  # fts.WEIGHTS since issue 19


def levers(chosen: dict[str, Any]) -> list[Lever]:
    return [
        Lever("today: convex alpha 0.5, fields 10/3/1"),
        Lever("keyword only: fields 10/3/1 (today)", semantic=False),
        Lever("keyword only: fields 2/1/1", weights=(2.0, 1.0, 1.0), semantic=False),
        Lever("keyword only: fields 1.5/1/1", weights=(1.5, 1.0, 1.0), semantic=False),
        Lever("keyword only: fields 1/1/1", weights=(1.0, 1.0, 1.0), semantic=False),
        Lever("fields 2/1/1", weights=(2.0, 1.0, 1.0)),
        Lever("fields 1.5/1/1", weights=(1.5, 1.0, 1.0)),
        Lever("alpha 0.4", {"alpha": 0.4}),
        Lever("alpha 0.6", {"alpha": 0.6}),
        Lever("rrf k 60, dense 0.5", {"method": "rrf"}),
        Lever("per shape: 8+ words alpha 0.6", {"long_terms": 8, "long_alpha": 0.6}),
        Lever("per shape: 8+ words alpha 0.7", {"long_terms": 8, "long_alpha": 0.7}),
        Lever("dense feedback 3 papers x 0.5", {"feedback_docs": 3, "feedback_weight": 0.5}),
        Lever("dense feedback 5 papers x 1.0", {"feedback_docs": 5, "feedback_weight": 1.0}),
        Lever("dense feedback 3 papers x 1.0", {"feedback_docs": 3, "feedback_weight": 1.0}),
        Lever("paperwire now: fields 1.5/1/0.3, DEFAULT_FUSION", chosen, weights=NOW),
        Lever("keyword only, paperwire now: fields 1.5/1/0.3", weights=NOW, semantic=False),
        # The keyword ranking inside hybrid need not be the one shown alone.
        Lever("hybrid leg: fields 10/3/1, DEFAULT_FUSION", chosen, weights=(10.0, 3.0, 1.0)),
        Lever("hybrid leg: fields 5/2/0.5, DEFAULT_FUSION", chosen, weights=(5.0, 2.0, 0.5)),
        Lever("hybrid leg: fields 3/1/0.3, DEFAULT_FUSION", chosen, weights=(3.0, 1.0, 0.3)),
    ]


def setup(data_dir: Path) -> None:
    os.environ["PAPERWIRE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("PAPERWIRE_SECRET_KEY", "bench-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
    os.environ.pop("PAPERWIRE_DATABASE_URL", None)
    import django

    django.setup()


def cache_query_embeddings() -> None:
    from paperwire.search import engine

    engine._embed = functools.lru_cache(maxsize=None)(engine._embed)  # type: ignore[assignment]


def ranker(lever: Lever) -> Any:
    from dataclasses import replace

    from paperwire.search import engine
    from paperwire.search.backends.sqlite import fts

    params = replace(engine.DEFAULT_FUSION, **lever.fusion) if lever.fusion else None
    base = engine.FusionParams() if params is None else params

    def rank(text: str) -> list[int]:
        names = ("title", "abstract", "authors")
        fts.WEIGHTS.update(zip(names, lever.weights, strict=True))
        return engine.search(text, params=base, semantic=lever.semantic).ids[:100]

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--collection", type=Path)
    parser.add_argument("--eval", action="store_true", help="the 95 demo queries instead")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    tmp = None
    if args.eval:
        tmp = tempfile.TemporaryDirectory(prefix="paperwire-sweep-")
        setup(Path(tmp.name))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from paperwire.papers.transfer import import_file
        from paperwire.search.vectors import embed_missing

        import_file(DEMO)
        embed_missing()
    else:
        setup(args.data_dir)
    cache_query_embeddings()
    from paperwire.papers.models import Paper
    from paperwire.search import engine, evaluation

    chosen = {
        k: getattr(engine.DEFAULT_FUSION, k)
        for k in ("alpha", "long_terms", "long_alpha", "feedback_docs", "feedback_weight")
    }
    print(f"load average at start {os.getloadavg()}")
    print("| lever (alone) | nDCG@10 | MRR@10 | today's nDCG@10, same run |")
    print("| --- | ---: | ---: | ---: |")
    today = None
    if args.eval:
        judged = evaluation.load_judgements(EVAL)
        for lever in levers(chosen):
            if args.only not in lever.name and lever.name[:5] != "today":
                continue
            rank = ranker(lever)
            s = evaluation.evaluate(lambda text, rank=rank: rank(text)[:10], judged)
            today = today or s
            print(f"| {lever.name} | {s['ndcg@10']:.3f} | {s['mrr@10']:.3f} | "
                  f"{today['ndcg@10']:.3f} |", flush=True)  # fmt: skip
    else:
        from ir import load_collection, own_metrics

        _, queries, qrels = load_collection(args.collection)
        judged = {q: queries[q] for q in queries if q in qrels}
        doc_of = {
            pk: pid.removeprefix("beir-")
            for pk, pid in Paper.objects.values_list("pk", "public_id")
        }
        for lever in levers(chosen):
            if args.only not in lever.name and lever.name[:5] != "today":
                continue
            rank = ranker(lever)
            run = {
                q: {doc_of[pk]: 100.0 - r for r, pk in enumerate(rank(text))}
                for q, text in judged.items()
            }
            m = own_metrics(run, qrels)
            today = today or m
            print(f"| {lever.name} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | "
                  f"{today['ndcg@10']:.3f} |", flush=True)  # fmt: skip
    print(f"load average at end {os.getloadavg()}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
