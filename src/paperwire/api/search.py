"""GET /api/papers/search and /api/papers/{id}/related, in Hugging Face's shapes.

Registered by api.py before /papers/{path:paper_id}, which would otherwise
take these paths as paper ids.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from paperwire.papers.hfjson import search_item_json
from paperwire.papers.models import Paper
from paperwire.search.engine import search
from paperwire.search.related import MAX_RELATED, related_papers

DEFAULT_LIMIT = 20
SEARCH_MODES = ("hybrid", "keyword", "semantic")


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def _limit(raw: str | None, default: int, high: int) -> int | str:
    """The limit, or an error message."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return f"limit must be a whole number, not {raw[:40]!r}"
    if not 1 <= value <= high:
        return f"limit must be between 1 and {high}, not {value}"
    return value


def search_papers(
    request: HttpRequest,
    q: str | None = None,
    limit: str | None = None,
    sort: str | None = None,
    p: str | None = None,
    mode: str | None = None,
) -> HttpResponse:
    """Papers matching `q` (words, "phrases", -exclusions, author:, cat:, org:, year:,
    after:, before:, sort:), as a top-level array like Hugging Face's. `p` is the 0-based
    page; `mode` is `hybrid` (default), `keyword` or `semantic` (meaning only). Notes
    about the query (ignored filters, missing embeddings) are in the `X-Search-Notes`
    header."""
    size = _limit(limit, DEFAULT_LIMIT, settings.PAPERWIRE["API_MAX_LIMIT"])
    if isinstance(size, str):
        return _json({"error": size}, 400)
    page = 0
    if p:
        if not p.isdigit() or int(p) > 10_000:
            return _json({"error": f"p must be a page number from 0 to 10000, not {p[:40]!r}"}, 400)
        page = int(p)
    if sort and sort not in ("relevance", "date", "upvotes"):
        return _json({"error": f"sort must be relevance, date or upvotes, not {sort[:40]!r}"}, 400)
    if mode and mode not in SEARCH_MODES:
        return _json({"error": f"mode must be hybrid, keyword or semantic, not {mode[:40]!r}"}, 400)
    res = search(q or "", sort, semantic=mode != "keyword", keyword=mode != "semantic")
    response = _json([search_item_json(paper) for paper in res.papers(page * size, size)])
    response["X-Search-Mode"] = res.mode
    response["X-Total-Count"] = str(res.total)
    if res.notes:
        response["X-Search-Notes"] = " | ".join(res.notes).encode("ascii", "replace").decode()
    return response


def related(request: HttpRequest, paper_id: str, limit: str | None = None) -> HttpResponse:
    """Nearest neighbours of a paper by embedding (keywords while it has none), itself
    excluded, as an array of {"paper": …} items."""
    size = _limit(limit, 5, MAX_RELATED)
    if isinstance(size, str):
        return _json({"error": size}, 400)
    paper = Paper.objects.filter(public_id=paper_id).first()
    if paper is None:
        return _json({"error": f"no paper with id {paper_id[:80]!r}"}, 404)
    return _json([search_item_json(p) for p in related_papers(paper, size)])


def register(api: NinjaAPI) -> None:
    api.get("/papers/search", summary="Search papers (hybrid keyword + semantic)", tags=["search"])(
        search_papers
    )
    api.get(
        "/papers/{path:paper_id}/related",
        summary="Papers related to one paper",
        tags=["search"],
    )(related)
