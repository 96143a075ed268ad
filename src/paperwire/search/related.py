"""Related papers: nearest neighbours by embedding, the paper itself excluded.

Without a vector for the paper (not embedded yet, or no model here), the
paper's title words ranked by BM25 stand in.
"""

from __future__ import annotations

from paperwire.papers.models import Paper
from paperwire.search.backends import search_backend
from paperwire.search.fusion import Ranked
from paperwire.search.query import ParsedQuery, words

MAX_RELATED = 50


def related_ids(paper: Paper, k: int = 5) -> tuple[Ranked, str]:
    """((ids, scores), method) where method is "embedding" or "keywords"."""
    k = max(1, min(k, MAX_RELATED))
    backend = search_backend()
    vec = backend.vector_of(paper.pk)
    if vec is not None:
        return backend.vector_search(vec, k, exclude=paper.pk), "embedding"
    q = ParsedQuery(terms=words(paper.searched_title)[:32])  # the TeX read, as indexed
    (ids, scores), _ = backend.keyword_search(q, limit=k + 1)
    pairs = [(i, s) for i, s in zip(ids, scores, strict=True) if i != paper.pk][:k]
    return ([i for i, _ in pairs], [s for _, s in pairs]), "keywords"


def related_papers(paper: Paper, k: int = 5) -> list[Paper]:
    from paperwire.search.engine import visible

    (ids, _), _ = related_ids(paper, k + 2)
    ids = ids[: k + 2]
    found = (
        visible(Paper.objects.filter(pk__in=ids))
        .select_related("organization", "feed_entry", "feed_entry__submitted_by")
        .prefetch_related("paper_authors__author")
    )
    by_id = {p.pk: p for p in found}
    return [by_id[i] for i in ids if i in by_id][:k]
