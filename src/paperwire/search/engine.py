"""Search as the site uses it: parse, rank by keywords and meaning, fuse, filter, sort."""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F, QuerySet

from paperwire.papers.models import Paper
from paperwire.search.backends import all_backends, search_backend
from paperwire.search.embeddings import EmbeddingUnavailable, get_embedder
from paperwire.search.filters import filtered_papers
from paperwire.search.fusion import FusionParams, Ranked
from paperwire.search.hybrid import fuse, keep_only
from paperwire.search.plan import LONG_QUERY_TERMS
from paperwire.search.query import ParsedQuery, parse_query

# Chosen on bench/eval_queries.jsonl, SciFact and CISI (docs/benchmarks.md, "Search" and
# "Relevance on public collections"): sentence-long queries (plan.LONG_QUERY_TERMS words
# or more: claims, questions) lean on meaning more than a few words of a title do.
DEFAULT_FUSION = FusionParams(
    method="convex", alpha=0.5, depth=100, long_terms=LONG_QUERY_TERMS, long_alpha=0.6
)


def visible(qs: QuerySet[Paper]) -> QuerySet[Paper]:
    """Leave out papers moderators hid (when this version of papers has the flag)."""
    if any(f.name == "hidden" for f in Paper._meta.get_fields()):
        return qs.filter(hidden=False)
    return qs


@dataclass
class SearchResults:
    query: ParsedQuery
    ids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    total: int = 0
    mode: str = "keyword"  # hybrid | keyword | semantic | filter | empty
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    def papers(self, offset: int = 0, limit: int = 20) -> list[Paper]:
        """The papers of one page, in result order, ready for templates and the API."""
        page_ids = self.ids[offset : offset + limit]
        found = (
            visible(Paper.objects.filter(pk__in=page_ids))
            .select_related("organization", "feed_entry", "feed_entry__submitted_by")
            .prefetch_related("paper_authors__author")
        )
        by_id = {p.pk: p for p in found}
        return [by_id[i] for i in page_ids if i in by_id]


@dataclass
class _Coverage:
    papers: int = 0
    vectors: int = 0
    checked: float = -1e9
    interval: float = 2.0


_coverage = _Coverage()
# Seconds between two looks at how many papers have vectors (at least).
RECHECK_SECONDS = 2.0


def vector_coverage() -> tuple[int, int]:
    """(papers with a current vector, papers); refreshed at most every few seconds."""
    now = time.monotonic()
    if now - _coverage.checked > _coverage.interval:
        _coverage.vectors = search_backend().vector_count()
        newest = Paper.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if _coverage.vectors >= newest:
            # Ids are never reused, so as many vectors as the newest id means every
            # paper has one: no need to count a million papers (one index seek).
            _coverage.papers = _coverage.vectors
        else:
            _coverage.papers = Paper.objects.count()
            # Counting a million papers is slow: ask less often the longer it takes.
            took = time.monotonic() - now
            _coverage.interval = max(RECHECK_SECONDS, 200 * took)
        _coverage.checked = time.monotonic()
    return _coverage.vectors, _coverage.papers


def reset_caches() -> None:
    _coverage.checked = -1e9
    for backend in all_backends():
        backend.reset_caches()


# One thread embeds the query while the calling thread runs the keyword query: both
# release the GIL (ONNX Runtime, SQLite), so on two cores they overlap.
_EMBEDDER_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperwire-query-embed")


def _embed(text: str) -> np.ndarray:
    return get_embedder().encode_query(text)


def warm() -> bool:
    """Load the embedding model and embed one query, so that a web process's first
    search does not wait for them (about 0.3 s). False when semantic search is off (the
    reason is kept, and said by the searches that need it)."""
    try:
        _embed("warm")
    except EmbeddingUnavailable:
        return False
    return True


def dense_search(
    text: str,
    k: int,
    allowed: set[int] | None = None,
    embedding: Future[np.ndarray] | None = None,
) -> tuple[Ranked, np.ndarray | None, str | None]:
    """(top-k by cosine, query vector, None), or empty results and why semantic is off.

    `embedding` is the query's embedding already under way (see _ranked).
    """
    try:
        vec = embedding.result() if embedding is not None else _embed(text)
    except EmbeddingUnavailable as exc:
        reason = f"Semantic search is unavailable ({exc}); showing keyword matches."
        return ([], []), None, reason
    return search_backend().vector_search(vec, k, allowed=allowed), vec, None


DenseResult = tuple[Ranked, np.ndarray | None, str | None]


def _dense_beside_ok(q: ParsedQuery) -> bool:
    """Whether the semantic half may run beside the keyword half, in the embedding
    thread on that thread's own connection: where the vector search is a database query
    (on SQLite it is in memory, nothing to overlap), without filters (their allowed ids
    come from this connection), and outside a transaction (another connection would not
    see its writes)."""
    return (
        search_backend().vector_search_is_a_query
        and not connection.in_atomic_block
        and not (q.has_filters or q.excluded)
    )


def _dense_beside(text: str, k: int) -> DenseResult | None:
    """dense_search, run in the embedding thread; None when its database connection
    failed (the caller then searches on its own connection)."""
    connection.close_if_unusable_or_obsolete()
    try:
        return dense_search(text, k)
    except DatabaseError:
        with contextlib.suppress(DatabaseError):
            connection.close()  # a new one next time
        return None


def search(
    raw: str | None,
    sort: str | None = None,
    params: FusionParams = DEFAULT_FUSION,
    semantic: bool = True,
    keyword: bool = True,
) -> SearchResults:
    """Every matching paper id in result order (the caller slices a page).

    `semantic=False` ranks by keywords only; `keyword=False` by meaning only (the dense
    ranker's top `params.depth`, no cosine floor), for evaluation and the API's `mode`.
    """
    start = time.perf_counter()
    q = parse_query(raw, sort)
    res = SearchResults(query=q, notes=list(q.notes))
    if not q.has_text:
        _listing(q, res)
    elif not keyword and semantic:
        _dense_only(q, res, params)
    else:
        _ranked(q, res, params, semantic)
    res.total = max(res.total, len(res.ids))
    res.took_ms = (time.perf_counter() - start) * 1000
    return res


def _allowed_ids(q: ParsedQuery) -> set[int] | None:
    qs = filtered_papers(q)
    ids = None if qs is None else set(qs.values_list("pk", flat=True))
    if q.excluded:
        sql, params = search_backend().excluded_ids_sql(q)
        if sql:
            with connection.cursor() as cur:
                cur.execute(sql, params)
                gone = {r[0] for r in cur.fetchall()}
            if ids is None:
                ids = set(Paper.objects.values_list("pk", flat=True))
            ids -= gone
    return ids


def _dense_only(q: ParsedQuery, res: SearchResults, params: FusionParams) -> None:
    res.mode = "semantic"
    if not vector_coverage()[0]:
        res.notes.append("No paper has an embedding yet (run `paperwire embed`).")
        return
    allowed = _allowed_ids(q) if (q.has_filters or q.excluded) else None
    (ids, scores), _, reason = dense_search(q.text, params.depth, allowed)
    if reason:
        res.notes.append(reason)
    res.ids, res.scores, res.total = ids, scores, len(ids)
    if q.sort != "relevance":
        res.ids = _sort_ids(ids, q.sort)
        res.scores = [0.0] * len(res.ids)


def _ranked(q: ParsedQuery, res: SearchResults, params: FusionParams, semantic: bool) -> None:
    if q.sort != "relevance":
        # A list in date or upvote order should hold papers with every word.
        kw, kw_total = search_backend().keyword_search(q, mode="and")
        if kw[0]:
            res.ids = _sort_ids(kw[0], q.sort)
            res.scores = [0.0] * len(res.ids)
            res.total = kw_total
            return
    have, papers = vector_coverage() if semantic else (0, 0)
    embedding: Future[np.ndarray] | None = None
    beside: Future[DenseResult | None] | None = None
    if semantic and have:
        if _dense_beside_ok(q):
            beside = _EMBEDDER_THREAD.submit(_dense_beside, q.text, params.depth)
        else:
            embedding = _EMBEDDER_THREAD.submit(_embed, q.text)
    # With vectors the result count is the fused list's, so matches are not counted.
    kw, kw_total = search_backend().keyword_search(q, count=not (semantic and have))
    dense: Ranked = ([], [])
    vec = None
    allowed: set[int] | None = None
    if semantic and have:
        done = beside.result() if beside is not None else None
        if done is not None:
            dense, vec, reason = done
        else:
            if q.has_filters or q.excluded:
                allowed = _allowed_ids(q)
            dense, vec, reason = dense_search(q.text, params.depth, allowed, embedding)
        if reason:
            res.notes.append(reason)
        if q.phrases:
            # A phrase is a requirement: dense hits must contain it too.
            dense = keep_only(dense, set(kw[0]))
    elif semantic and papers:
        res.notes.append(
            "No paper has an embedding yet (run `paperwire embed`): "
            "results are keyword matches only."
        )
    if semantic and have and have < papers:
        res.notes.append(
            f"{papers - have} of {papers} papers have no embedding yet; "
            "they are found by keywords only."
        )
    if dense[0]:
        res.mode = "hybrid" if kw[0] else "semantic"
        ids, scores = fuse(q, kw, dense, vec, params, allowed)
    else:
        res.mode = "keyword"
        ids, scores = kw
    res.total = len(ids) if dense[0] else kw_total
    if q.sort != "relevance":
        ids = _sort_ids(ids, q.sort)
        scores = [0.0] * len(ids)
    res.ids, res.scores = ids, scores


def _sort_ids(ids: list[int], sort: str) -> list[int]:
    qs = Paper.objects.filter(pk__in=ids)
    if sort == "upvotes":
        qs = qs.order_by(F("feed_entry__upvotes").desc(nulls_last=True), "-published_at")
    else:
        qs = qs.order_by(F("published_at").desc(nulls_last=True), "-pk")
    return list(qs.values_list("pk", flat=True))


def _listing(q: ParsedQuery, res: SearchResults) -> None:
    """No words, only filters: the filtered papers, newest first (or by upvotes)."""
    if not q.has_filters and not q.excluded:
        res.mode = "empty"
        return
    res.mode = "filter"
    limit = settings.PAPERWIRE.get("SEARCH_MAX_LISTING", 1000)
    # `filtered or all()` would evaluate the queryset: a filter matching nothing is
    # falsy, and the listing became the whole corpus.
    filtered = filtered_papers(q)
    qs = Paper.objects.all() if filtered is None else filtered
    if q.excluded:
        sql, params = search_backend().excluded_ids_sql(q)
        if sql:
            qs = qs.extra(where=[f"papers_paper.id NOT IN ({sql})"], params=params)  # noqa: S610
    if q.sort == "upvotes":
        qs = qs.order_by(F("feed_entry__upvotes").desc(nulls_last=True), "-published_at")
    else:
        qs = qs.order_by(F("published_at").desc(nulls_last=True), "-pk")
    res.total = qs.count()
    res.ids = list(qs.values_list("pk", flat=True)[:limit])
    res.scores = [0.0] * len(res.ids)
