"""Relevance evaluation: MRR@10 and nDCG@10 of BM25, dense and hybrid rankers.

The judged queries live in bench/eval_queries.jsonl (relevant papers named by
title; the first is the target, graded 2, the others graded 1).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paperwire.papers.ids import title_key
from paperwire.papers.models import Paper
from paperwire.search import engine
from paperwire.search.backends import search_backend
from paperwire.search.fusion import FusionParams
from paperwire.search.query import parse_query

Ranker = Callable[[str], list[int]]


@dataclass
class Judged:
    query: str
    grades: dict[int, int]


def load_judgements(path: Path) -> list[Judged]:
    by_key = dict(Paper.objects.values_list("title_key", "pk"))
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        grades: dict[int, int] = {}
        for i, title in enumerate(row["relevant"]):
            pk = by_key.get(title_key(title))
            if pk is None:
                raise ValueError(f"judged paper not in the database: {title!r}")
            grades.setdefault(pk, 2 if i == 0 else 1)
        out.append(Judged(row["query"], grades))
    return out


def mrr_at_k(ranked: list[int], grades: dict[int, int], k: int = 10) -> float:
    for rank, pid in enumerate(ranked[:k], start=1):
        if pid in grades:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: list[int], grades: dict[int, int], k: int = 10) -> float:
    dcg = sum(
        (2 ** grades.get(pid, 0) - 1) / math.log2(rank + 1)
        for rank, pid in enumerate(ranked[:k], start=1)
    )
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def evaluate(ranker: Ranker, judged: list[Judged], k: int = 10) -> dict[str, float]:
    mrr = ndcg = 0.0
    for j in judged:
        ranked = ranker(j.query)
        mrr += mrr_at_k(ranked, j.grades, k)
        ndcg += ndcg_at_k(ranked, j.grades, k)
    n = max(len(judged), 1)
    return {"mrr@10": mrr / n, "ndcg@10": ndcg / n}


def bm25_ranker(query: str) -> list[int]:
    return search_backend().keyword_search(parse_query(query), limit=10)[0][0]


def dense_ranker(query: str) -> list[int]:
    return engine.dense_search(parse_query(query).text, 10)[0][0]


def hybrid_ranker(params: FusionParams = engine.DEFAULT_FUSION) -> Ranker:
    return lambda query: engine.search(query, params=params).ids[:10]


def compare(judged: list[Judged], params: FusionParams = engine.DEFAULT_FUSION) -> dict:
    return {
        "bm25": evaluate(bm25_ranker, judged),
        "dense": evaluate(dense_ranker, judged),
        "hybrid": evaluate(hybrid_ranker(params), judged),
    }
