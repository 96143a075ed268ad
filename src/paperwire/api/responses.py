"""JSON answers of the API, its error messages, and the Link header of paged lists."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

# The Hub's bounds (its OpenAPI description): page numbers up to JavaScript's largest
# safe integer, list limits of 100, search limits of 120, queries of 250 characters.
MAX_PAGE = 9_007_199_254_740_991
MAX_LIMIT = 100
MAX_SEARCH_LIMIT = 120
MAX_QUERY = 250


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def error(message: str, status: int = 400) -> HttpResponse:
    return json_response({"error": message}, status)


def link_next(request: HttpRequest, response: HttpResponse, **changes: Any) -> None:
    """Point `Link: <…>; rel="next"` at this request with `changes` to its query, as the
    Hub does (huggingface_hub's paginate() follows it)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = str(value)
    # QueryDict.urlencode keeps every value of a repeated parameter (?owner=a&owner=b);
    # urlencode(query) would see only the last.
    url = request.build_absolute_uri(request.path) + "?" + query.urlencode()
    response["Link"] = f'<{url}>; rel="next"'


# What each parameter's schema says, for the messages of answers that break it.
_EXPECTED = {
    "date": "of the form YYYY-MM-DD, e.g. 2026-01-05",
    "week": "of the form YYYY-Www with a week from W01 to W52, e.g. 2026-W02",
    "month": "of the form YYYY-MM, e.g. 2026-01",
    "cursor": "a cursor this site gave out (in a Link header)",
}


def problem_field(problem: dict[str, Any]) -> str:
    """The parameter, or the field of a JSON body, that one pydantic error is about: its
    `loc` is ("query", name) or ("body", <the schema's argument>, field, …)."""
    loc = [str(p) for p in problem.get("loc", ())]
    if loc[:1] == ["body"]:
        return loc[2] if len(loc) > 2 else "body"
    return next((p for p in loc if p not in ("query", "path")), "")


def validation_message(problem: dict[str, Any], given: Any) -> str:
    """A message naming the parameter and what it takes, from one pydantic error and the
    value sent."""
    name = problem_field(problem) or "request"
    kind = str(problem.get("type", ""))
    ctx = problem.get("ctx") or {}
    shown = repr(given[:40]) if isinstance(given, str) else repr(given)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{name} must be a whole number, not {shown}"
    if kind == "greater_than_equal":
        return f"{name} must be at least {ctx.get('ge')}, not {shown}"
    if kind == "less_than_equal":
        return f"{name} must be at most {ctx.get('le')}, not {shown}"
    if kind == "string_too_long":
        length = len(given) if isinstance(given, str) else "?"
        return f"{name} is too long ({length} characters; at most {ctx.get('max_length')})"
    if kind == "string_too_short":
        return f"{name} is too short (at least {ctx.get('min_length')} character(s))"
    if kind in ("literal_error", "enum"):
        return f"{name} must be {ctx.get('expected', 'one of the listed values')}, not {shown}"
    if kind == "string_pattern_mismatch":
        return f"{name} {shown} is not {_EXPECTED.get(name, 'of the documented form')}"
    if kind == "missing":
        return f"{name} is missing"
    return f"{name}: {problem.get('msg', 'invalid value')}"
