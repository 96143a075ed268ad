"""GET /api/papers (the cursor-paged list) and /api/papers/{id}, in the Hub's shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja.decorators import decorate_view

from paperwire.api.comments import comments_json
from paperwire.api.context import hub_context
from paperwire.api.responses import MAX_LIMIT, error, json_response, link_next
from paperwire.api.schemas import Error, PaperInfoOut, PaperListItemOut
from paperwire.papers.cache import versioned_page
from paperwire.papers.feed import attach_author_names
from paperwire.papers.hfjson import paper_info_json, paper_list_item_json
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.models import Paper

PaperField = Literal["submissionDeadline", "comments"]


# A cursor is where the next page starts: after the paper published at that microsecond
# since 1970 with that primary key, in (publishedAt, pk) order. Any string of this form is
# a cursor, so the schema's pattern says exactly what is accepted.
CURSOR_PATTERN = r"^-?[0-9]{1,18}_[0-9]{1,18}$"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_FIRST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_LAST = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)


def encode_cursor(paper: Paper) -> str:
    assert paper.published_at is not None
    return f"{(paper.published_at - _EPOCH) // _MICROSECOND}_{paper.pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The (publishedAt, pk) of a cursor that matched CURSOR_PATTERN; times beyond what
    a date can hold are taken as the first or last there is."""
    micros, pk = cursor.split("_")
    first, last = (_FIRST - _EPOCH) // _MICROSECOND, (_LAST - _EPOCH) // _MICROSECOND
    when = _EPOCH + max(first, min(last, int(micros))) * _MICROSECOND
    return when, int(pk)


def find_public_paper(paper_id: str) -> Paper | None:
    """A visible paper by its public id, or by an arXiv id with a version (2509.04664v1)."""
    qs = Paper.objects.select_related(
        "organization", "feed_entry", "feed_entry__submitted_by"
    ).filter(hidden=False)
    paper = qs.filter(public_id=paper_id).first()
    if paper is None:
        parsed = parse_arxiv_id(paper_id)
        if parsed is not None and parsed[1] is not None:
            paper = qs.filter(arxiv_id=parsed[0]).first()
    return paper


def register(api: NinjaAPI) -> None:
    api.get(
        "/papers",
        response={200: list[PaperListItemOut], 400: Error},
        summary="List papers, newest publication first",
        tags=["papers"],
        by_alias=True,
    )(decorate_view(versioned_page)(list_papers))


def register_detail(api: NinjaAPI) -> None:
    # Registered last: {path:paper_id} would take /papers/search for a paper id.
    api.get(
        "/papers/{path:paper_id}",
        response={200: PaperInfoOut, 400: Error, 404: Error},
        summary="One paper by arXiv id (with or without version) or paperwire id",
        tags=["papers"],
        by_alias=True,
    )(decorate_view(versioned_page)(paper_detail))


def _listed() -> QuerySet[Paper]:
    return (
        Paper.objects.filter(hidden=False, published_at__isnull=False)
        .select_related("organization", "feed_entry")
        .order_by("-published_at", "-pk")
    )


def list_papers(
    request: HttpRequest,
    cursor: str = Query(
        None, pattern=CURSOR_PATTERN, description="Pagination cursor, from the Link header"
    ),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
) -> HttpResponse:
    """Papers with a publication date, newest first. A `Link: rel="next"` header carries
    the cursor of the next page while there is one."""
    papers = _listed()
    if cursor:
        when, pk = decode_cursor(cursor)
        papers = papers.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=pk))
    rows = list(papers[: limit + 1])
    page = rows[:limit]
    attach_author_names(page)
    context = hub_context(page)
    response = json_response([paper_list_item_json(paper, context) for paper in page])
    if len(rows) > limit:
        link_next(request, response, cursor=encode_cursor(page[-1]))
    return response


def paper_detail(
    request: HttpRequest,
    paper_id: str,
    field: list[PaperField] = Query(None, description="Extra fields: comments"),
) -> HttpResponse:
    """The paper object with its linked repositories (none here: `[]` and 0). With
    `?field=comments` its discussion too. There is no submission deadline here, so
    `submissionDeadline` is never sent."""
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    attach_author_names([paper])
    data = paper_info_json(paper, hub_context([paper]))
    if field and "comments" in field:
        data["comments"] = comments_json(request, paper)
    return json_response(data)
