"""GET /api/daily_papers: the feed of a day, ISO week or month, as the Hub answers it."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja.decorators import decorate_view

from paperwire.api.context import hub_context
from paperwire.api.responses import MAX_LIMIT, MAX_PAGE, error, json_response, link_next
from paperwire.api.schemas import DailyPaperOut, Error
from paperwire.papers import feed
from paperwire.papers.cache import versioned_page
from paperwire.papers.hfjson import daily_item_json

# The Hub's patterns. The date pattern accepts exactly the real calendar dates of years
# 0000-9999 (leap years included); the week pattern stops at W52, as the Hub's does.
DATE_PATTERN = (
    r"^((\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29"
    r"|\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
    r"|(02)-(0[1-9]|1\d|2[0-8])))$"
)
WEEK_PATTERN = r"^\d{4}-W(0[1-9]|[1-4][0-9]|5[0-2])$"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _period(date: str | None, week: str | None, month: str | None) -> feed.FeedPeriod | None:
    """The days the given date, week and month all cover (each is optional, as on the
    Hub); raises OutOfRange for a valid period this site cannot hold (a year before 1000
    or after 9998 has no papers) or for periods that do not meet."""
    periods = []
    for value, parse in (
        (date, feed.parse_day),
        (week, feed.parse_week),
        (month, feed.parse_month),
    ):
        if not value:
            continue
        # Every value has passed its pattern here, so it starts with a four-digit year.
        if not feed.MIN_YEAR <= int(value[:4]) <= feed.MAX_YEAR:
            raise OutOfRange
        periods.append(parse(value))
    if not periods:
        return None
    start = max(period.start for period in periods)
    end = min(period.end for period in periods)
    if start > end:
        raise OutOfRange
    narrowest = min(periods, key=lambda period: period.end - period.start)
    return feed.FeedPeriod(narrowest.kind, start, end)


class OutOfRange(Exception):
    """No paper can be in the period asked for."""


def register(api: NinjaAPI) -> None:
    api.get(
        "/daily_papers",
        response={200: list[DailyPaperOut], 400: Error},
        summary="Daily papers of a date, ISO week or month",
        tags=["papers"],
        by_alias=True,
    )(decorate_view(versioned_page)(daily_papers))


# Optional parameters are typed `str` with a None default, not `str | None`: the schema
# then says "a string, or leave it out", as the Hub's does, and never offers null.
def daily_papers(
    request: HttpRequest,
    p: int = Query(0, ge=0, le=MAX_PAGE, description="Page, from 0"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Papers per page"),
    date: str = Query(None, pattern=DATE_PATTERN, description="YYYY-MM-DD"),
    week: str = Query(None, pattern=WEEK_PATTERN, description="YYYY-Www"),
    month: str = Query(None, pattern=MONTH_PATTERN, description="YYYY-MM"),
    submitter: str = Query(None, description="User name of the submitter"),
    sort: Literal["publishedAt", "trending"] = Query("publishedAt"),
) -> HttpResponse:
    """A top-level array like the Hub's. Past the last page is `[]`; a full page links
    the next one in a `Link: rel="next"` header. Given more than one of date, week and
    month, the papers are those of the days all of them cover."""
    try:
        period = _period(date, week, month)
    except feed.InvalidPeriod as exc:  # a week 53 the pattern let through, say
        return error(str(exc))
    except OutOfRange:
        return json_response([])
    entries = feed.entries(period, sort)
    if submitter:
        match = Q(submitter_name=submitter) | Q(submitted_by__username=submitter)
        if submitter == settings.SITE_NAME:
            # The site is named as the submitter of entries nobody submitted.
            match |= Q(submitter_name="", submitted_by__isnull=True)
        entries = entries.filter(match)
    start = p * limit
    # One row more than the page tells whether a next page exists.
    rows = list(entries[start : start + limit + 1])
    page = rows[:limit]
    context = hub_context(entry.paper for entry in page)
    response = json_response([daily_item_json(entry, context) for entry in page])
    if len(rows) > limit:
        link_next(request, response, p=p + 1)
    return response
