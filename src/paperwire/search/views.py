"""The /search page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from paperwire.search.engine import search
from paperwire.search.highlight import highlight_with_formulas, snippet
from paperwire.search.query import ParsedQuery

PAGE_SIZE = 20
MAX_PAGE = 500


def search_page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    sort = request.GET.get("sort") or None
    notes: list[str] = []
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page, notes = 1, ["The page number was not a number: showing page 1."]
    page = min(max(page, 1), MAX_PAGE)
    res = search(raw, sort)
    q = res.query
    last_page = max(1, -(-len(res.ids) // PAGE_SIZE))
    if res.ids and page > last_page:
        # A page past the end (an old link, a hand-edited URL) shows the last one and says
        # so, rather than "showing 1961-1960" of nothing.
        notes.append(
            f"There is no page {page} of these results: showing page {last_page}, the last."
        )
        page = last_page
    offset = (page - 1) * PAGE_SIZE
    papers = res.papers(offset, PAGE_SIZE)
    hits: list[dict[str, Any]] = []
    for p in papers:
        hits.append(
            {
                "paper": p,
                "entry": getattr(p, "feed_entry", None),
                # Readable, as the index reads it: `Schr\"odinger` is shown as Schrödinger;
                # its formulas drawn, as the paper's own heading draws them.
                "title": highlight_with_formulas(p.title, q),
                "snippet": snippet(p.abstract, q),
            }
        )
    canonical = q.canonical()

    # Links carry the sort inside q (sort:date), so a chip can remove it like any filter.
    def url(**params: Any) -> str:
        base: dict[str, Any] = {"q": params.get("q", canonical)}
        if params.get("page", 1) != 1:
            base["page"] = params["page"]
        return "?" + urlencode(base)

    context = {
        "q": raw,
        "parsed": q,
        "results": res,
        "hits": hits,
        "notes": notes + res.notes,
        "page": page,
        "first": offset + 1,
        "last": offset + len(papers),
        "prev_url": url(page=page - 1) if page > 1 else None,
        "next_url": url(page=page + 1) if offset + PAGE_SIZE < len(res.ids) else None,
        "chips": [(label, url(q=rest, page=1)) for label, rest in q.chips()],
        "sort": q.sort,
        "sort_urls": [
            (name, url(q=_with_sort(q, name), page=1), name == q.sort)
            for name in ("relevance", "date", "upvotes")
        ],
        "nav_active": "search",
        # Feeds of this search (new papers that match it), named on the page as well as
        # in its <link rel="alternate">.
        "feed_query": urlencode({"q": raw}),
    }
    return render(request, "search/search.html", context)


def _with_sort(q: ParsedQuery, sort: str) -> str:
    parts = [part for _, part in q.parts() if not part.startswith("sort:")]
    if sort != "relevance":
        parts.append(f"sort:{sort}")
    return " ".join(parts)
