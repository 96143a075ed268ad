"""The JSON API. Paths and shapes under /api/ follow Hugging Face's, so `huggingface_hub`
and the `hf papers` CLI work against a paperwire site by setting the endpoint."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from paperwire.api import collections, daily, me, mydata, papers, votes
from paperwire.api import search as search_api
from paperwire.api.auth import register_errors
from paperwire.api.responses import error, problem_field, validation_message
from paperwire.papers import feed

api = NinjaAPI(
    title="paperwire API",
    version="1",
    description=(
        "Daily papers and paper metadata. The paths, parameters and JSON shapes of "
        "/api/daily_papers, /api/papers, /api/papers/search, /api/papers/{id}, "
        "/api/whoami-v2 and /api/collections/{slug} are those of Hugging Face's API; every "
        'error is a JSON object {"error": "…"}. Endpoints marked with a lock need a personal '
        "access token (Settings → API tokens) as `Authorization: Bearer <token>`; those that "
        "change anything need its write scope."
    ),
    urls_namespace="api",
)

_PERIOD_PARSERS = {"date": feed.parse_day, "week": feed.parse_week, "month": feed.parse_month}


def _sent_in_body(request: HttpRequest, path: list[Any]) -> Any:
    """The value at `path` in the request's JSON body (ninja's errors leave it out)."""
    try:
        value: Any = json.loads(request.body)
        for key in path:
            value = value[key]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problem = exc.errors[0] if exc.errors else {}
    name = problem_field(problem)
    loc = list(problem.get("loc", ()))
    given = _sent_in_body(request, loc[2:]) if loc[:1] == ["body"] else request.GET.get(name)
    if name in _PERIOD_PARSERS and isinstance(given, str):
        # The site's own reading says why a date is wrong ("2023-02-30 does not exist").
        try:
            _PERIOD_PARSERS[name](given)
        except feed.InvalidPeriod as reason:
            if "years run from" not in str(reason):
                return error(str(reason))
    return error(validation_message(problem, given))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error("not found", 404)


register_errors(api)
daily.register(api)
papers.register(api)
me.register(api)
mydata.register(api)
collections.register(api)
# Before /papers/{path:paper_id}, which would take "search", ".../upvote" and
# ".../comments" for paper ids.
search_api.register(api)
votes.register(api)
papers.register_detail(api)
