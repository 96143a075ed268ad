"""Hybrid ranking, the embedding pipeline, and related papers, on the demo papers."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.papers.models import Paper
from paperwire.search import engine, evaluation
from paperwire.search.embeddings import MODEL_KEY, Embedder
from paperwire.search.models import PaperVector
from paperwire.search.related import related_ids
from paperwire.search.vectors import count_missing, embed_missing

EVAL_FILE = Path(__file__).resolve().parents[2] / "bench" / "eval_queries.jsonl"


def test_eval_set_is_big_enough() -> None:
    lines = [line for line in EVAL_FILE.read_text().splitlines() if line.strip()]
    assert len(lines) >= 50


def test_hybrid_beats_bm25_and_dense_on_the_eval_set(embedded: None) -> None:
    judged = evaluation.load_judgements(EVAL_FILE)
    scores = evaluation.compare(judged)
    for metric in ("mrr@10", "ndcg@10"):
        assert scores["hybrid"][metric] > scores["bm25"][metric], scores
        assert scores["hybrid"][metric] > scores["dense"][metric], scores


def test_paraphrase_found_by_meaning(embedded: None) -> None:
    res = engine.search("brain-inspired energy efficient text generator")
    assert res.mode in {"hybrid", "semantic"}
    top = Paper.objects.get(pk=res.ids[0])
    assert top.title.startswith("SpikeGPT")


def test_keywords_only_while_vectors_are_missing(demo: None) -> None:
    res = engine.search("temporal reasoning")
    assert res.mode == "keyword"
    assert res.ids
    assert any("embedding" in n for n in res.notes)


def test_partial_vectors_say_so(demo: None, caching_embedder: Embedder) -> None:
    assert embed_missing(batch_size=10, embedder=caching_embedder, limit=20) == 20
    engine.reset_caches()
    res = engine.search("temporal reasoning")
    assert res.mode == "hybrid"
    assert any("117 of 137 papers have no embedding yet" in n for n in res.notes)


def test_a_stop_ends_embedding_after_the_batch_in_hand(
    demo: None, caching_embedder: Embedder
) -> None:
    """A worker asked to stop stops between batches, not after its whole poll's share."""
    asked: list[int] = []

    def stop_after_two() -> bool:
        asked.append(1)
        return len(asked) > 2

    assert embed_missing(batch_size=16, embedder=caching_embedder, should_stop=stop_after_two) == 32
    assert count_missing() == 137 - 32


def test_embed_is_resumable_and_follows_changes(demo: None, caching_embedder: Embedder) -> None:
    assert count_missing() == 137
    assert embed_missing(batch_size=16, embedder=caching_embedder, limit=40) == 40
    assert count_missing() == 97
    assert embed_missing(batch_size=16, embedder=caching_embedder) == 97
    assert count_missing() == 0
    assert embed_missing(embedder=caching_embedder) == 0
    # A changed abstract is embedded again.
    paper = Paper.objects.order_by("pk").first()
    assert paper is not None
    before = bytes(PaperVector.objects.get(paper=paper).vector)
    paper.abstract = "An entirely new abstract about gazpacho recipes."
    paper.save()
    assert count_missing() == 1
    assert embed_missing(embedder=caching_embedder) == 1
    assert bytes(PaperVector.objects.get(paper=paper).vector) != before
    # Vectors of another model are stale: all are embedded again.
    PaperVector.objects.update(model="some-other-model")
    assert count_missing() == 137
    assert embed_missing(batch_size=64, embedder=caching_embedder) == 137
    assert set(PaperVector.objects.values_list("model", flat=True)) == {MODEL_KEY}


def test_filters_apply_to_dense_hits(embedded: None) -> None:
    res = engine.search("reinforcement learning year:2023")
    assert res.ids
    years = {Paper.objects.get(pk=i).published_at.year for i in res.ids}
    assert years == {2023}


def test_related_papers_exclude_the_paper(embedded: None) -> None:
    paper = Paper.objects.get(title__startswith="Efficiently Modeling Long Sequences")
    (ids, scores), method = related_ids(paper, 5)
    assert method == "embedding"
    assert len(ids) == 5 and paper.pk not in ids
    assert scores == sorted(scores, reverse=True)
    titles = [Paper.objects.get(pk=i).title for i in ids]
    assert any("State Space" in t for t in titles), titles


def test_related_falls_back_to_keywords(demo: None) -> None:
    paper = Paper.objects.get(title__startswith="Efficiently Modeling Long Sequences")
    (ids, _), method = related_ids(paper, 3)
    assert method == "keywords"
    assert ids and paper.pk not in ids


@pytest.mark.parametrize("method", ["convex", "rrf"])
def test_both_fusions_run(embedded: None, method: str) -> None:
    from paperwire.search.fusion import FusionParams

    res = engine.search("state space models", params=FusionParams(method=method))
    assert res.mode == "hybrid" and res.ids


def test_fusion_per_query_shape_and_dense_feedback(embedded: None) -> None:
    """A sentence-long query is fused with the long-query alpha; dense feedback (off by
    default) moves the query vector towards the first papers and still ranks them."""
    from paperwire.search.fusion import FusionParams

    params = FusionParams(long_terms=3, long_alpha=1.0)
    assert params.alpha_for(2) == params.alpha and params.alpha_for(3) == 1.0
    long = "a recurrent model with selective state spaces for long sequences"
    # alpha 1.0: the order is the dense one among the candidates.
    res = engine.search(long, params=params)
    dense = engine.search(long, keyword=False)
    assert res.mode == "hybrid" and res.ids[:3] == dense.ids[:3]
    fed = engine.search(long, params=FusionParams(feedback_docs=3, feedback_weight=0.5))
    assert fed.mode == "hybrid" and fed.ids
    # Feedback from the first papers keeps the topic: most of the top five stay.
    assert len(set(fed.ids[:5]) & set(engine.search(long).ids[:5])) >= 3
