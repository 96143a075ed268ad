"""The JSON API. Paths and shapes under /api/ follow Hugging Face's, so `huggingface_hub`
and the `hf papers` CLI work against a paperwire site by setting the endpoint."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.decorators import decorate_view
from ninja.errors import ValidationError

from paperwire.api import search as search_api
from paperwire.papers import feed
from paperwire.papers.cache import versioned_page
from paperwire.papers.hfjson import daily_item_json, paper_json
from paperwire.papers.models import Paper

api = NinjaAPI(
    title="paperwire API",
    version="1",
    description=(
        "Daily papers and paper metadata. The paths and JSON shapes of /api/daily_papers and "
        "/api/papers/{id} are those of Hugging Face's API."
    ),
    urls_namespace="api",
)


class Error(Schema):
    error: str


class AuthorOut(Schema):
    name: str


class OrganizationOut(Schema):
    name: str
    fullname: str
    avatarUrl: str


class SubmitterOut(Schema):
    user: str
    fullname: str


class PaperOut(Schema):
    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: str | None
    upvotes: int
    submittedOnDailyAt: str | None = None
    numComments: int | None = None
    organization: OrganizationOut | None = None


class DailyPaperOut(Schema):
    paper: PaperOut
    publishedAt: str
    title: str
    summary: str
    numComments: int
    submittedBy: SubmitterOut | None
    organization: OrganizationOut | None


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def error(message: str, status: int = 400) -> HttpResponse:
    return json_response({"error": message}, status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
    return error(f"{where}: {first.get('msg', 'invalid value')}" if where else "invalid request")


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise feed.InvalidPeriod(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise feed.InvalidPeriod(f"{name} must be between {low} and {high}, not {value}")
    return value


@api.get(
    "/daily_papers",
    response={200: list[DailyPaperOut], 400: Error},
    summary="Daily papers of a date, ISO week or month",
    tags=["papers"],
)
@decorate_view(versioned_page)
def daily_papers(
    request: HttpRequest,
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
    p: str | None = None,
    limit: str | None = None,
    sort: str | None = None,
    submitter: str | None = None,
) -> HttpResponse:
    """A top-level array like Hugging Face's. `p` is the 0-based page; past the end is `[]`."""
    try:
        given = [(k, v) for k, v in (("date", date), ("week", week), ("month", month)) if v]
        if len(given) > 1:
            raise feed.InvalidPeriod("give at most one of date, week and month")
        period = None
        if date:
            period = feed.parse_day(date)
        elif week:
            period = feed.parse_week(week)
        elif month:
            period = feed.parse_month(month)
        page = _int_param(p, "p", 0, 0, 1_000_000)
        max_limit = settings.PAPERWIRE["API_MAX_LIMIT"]
        size = _int_param(limit, "limit", settings.PAPERWIRE["FEED_PAGE_SIZE"], 1, max_limit)
        order = sort or "publishedAt"
        if order not in ("publishedAt", "trending"):
            raise feed.InvalidPeriod(f"sort must be publishedAt or trending, not {order[:40]!r}")
    except feed.InvalidPeriod as exc:
        return error(str(exc))
    entries = feed.entries(period, "trending" if order == "trending" else "publishedAt")
    if submitter:
        entries = entries.filter(Q(submitter_name=submitter) | Q(submitted_by__username=submitter))
    chunk = entries[page * size : (page + 1) * size]
    return json_response([daily_item_json(entry) for entry in chunk])


# Before /papers/{path:paper_id}, which would take "search" for a paper id.
search_api.register(api)


@api.get(
    "/papers/{path:paper_id}",
    response={200: PaperOut, 404: Error},
    summary="One paper by arXiv id or paperwire id",
    tags=["papers"],
)
@decorate_view(versioned_page)
def paper_detail(request: HttpRequest, paper_id: str) -> HttpResponse:
    paper = (
        Paper.objects.select_related("organization", "feed_entry", "feed_entry__submitted_by")
        .prefetch_related("paper_authors__author")
        .filter(public_id=paper_id, hidden=False)
        .first()
    )
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    return json_response(paper_json(paper, getattr(paper, "feed_entry", None)))
