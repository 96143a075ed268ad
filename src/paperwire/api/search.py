"""GET /api/papers/search and /api/papers/{id}/related, in Hugging Face's shapes.

Registered by api.py before /papers/{path:paper_id}, which would otherwise
take these paths as paper ids.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query

from paperwire.api.context import hub_context
from paperwire.api.papers import find_public_paper
from paperwire.api.responses import (
    MAX_QUERY,
    MAX_SEARCH_LIMIT,
    error,
    json_response,
    link_next,
)
from paperwire.api.schemas import DailyPaperOut, Error
from paperwire.papers.hfjson import search_item_json
from paperwire.search.engine import search
from paperwire.search.related import MAX_RELATED, related_papers

DEFAULT_LIMIT = 20
MAX_SEARCH_PAGE = 10_000


def search_papers(
    request: HttpRequest,
    q: str = Query("", max_length=MAX_QUERY, description="Words, phrases, filters"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_SEARCH_LIMIT),
    sort: Literal["relevance", "date", "upvotes"] = Query(
        None, description="paperwire's own: relevance (default), date or upvotes"
    ),
    p: int = Query(0, ge=0, le=MAX_SEARCH_PAGE, description="paperwire's own: page, from 0"),
    mode: Literal["hybrid", "keyword", "semantic"] = Query(
        "hybrid", description="paperwire's own: both rankers, keywords only or meaning only"
    ),
) -> HttpResponse:
    """Papers matching `q` (words, "phrases", -exclusions, author:, cat:, org:, year:,
    after:, before:, sort:), as a top-level array like Hugging Face's. Notes about the
    query (ignored filters, missing embeddings) are in the `X-Search-Notes` header; a
    further page is linked in `Link: rel="next"`."""
    res = search(q, sort, semantic=mode != "keyword", keyword=mode != "semantic")
    papers = res.papers(p * limit, limit)
    context = hub_context(papers)
    response = json_response([search_item_json(paper, context) for paper in papers])
    response["X-Search-Mode"] = res.mode
    response["X-Total-Count"] = str(res.total)
    if res.notes:
        response["X-Search-Notes"] = " | ".join(res.notes).encode("ascii", "replace").decode()
    if (p + 1) * limit < len(res.ids) and p < MAX_SEARCH_PAGE:
        link_next(request, response, p=p + 1)
    return response


def related(
    request: HttpRequest, paper_id: str, limit: int = Query(5, ge=1, le=MAX_RELATED)
) -> HttpResponse:
    """Nearest neighbours of a paper by embedding (keywords while it has none), itself
    excluded, as an array of items like the search's."""
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    papers: list[Any] = related_papers(paper, limit)
    context = hub_context(papers)
    return json_response([search_item_json(p, context) for p in papers])


def register(api: NinjaAPI) -> None:
    api.get(
        "/papers/search",
        response={200: list[DailyPaperOut], 400: Error},
        summary="Search papers (hybrid keyword + semantic)",
        tags=["papers"],
        by_alias=True,
    )(search_papers)
    api.get(
        "/papers/{path:paper_id}/related",
        response={200: list[DailyPaperOut], 400: Error, 404: Error},
        summary="Papers related to one paper",
        tags=["search"],
        by_alias=True,
    )(related)
