"""?page=N for the community's lists (trending, organization, author and profile pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, QueryDict

PER_PAGE = 50
# Far past any list here; keeps OFFSET from being an unbounded scan someone can ask for.
MAX_PAGE = 10_000


class BadPage(ValueError):
    """?page= is not a page number: a 400 with this message."""


@dataclass(frozen=True)
class Pager:
    number: int
    prev_url: str | None
    next_url: str | None


def whole_number(raw: str, low: int, high: int, max_digits: int = 18) -> int | None:
    """`raw` as a whole number from `low` to `high` written in at most `max_digits` ASCII
    digits, else None: str.isdigit() alone takes "²" and "٣", and int() raises on
    thousands of digits."""
    if not (0 < len(raw) <= max_digits and raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def page_number(request: HttpRequest) -> int:
    number = whole_number(request.GET.get("page", "1"), 1, MAX_PAGE)
    if number is None:
        raise BadPage(f"page must be a whole number from 1 to {MAX_PAGE}.")
    return number


def window(items: Any, number: int, per_page: int = PER_PAGE) -> tuple[list[Any], bool]:
    """Page ``number`` of a query set, and whether a later page has anything: one row
    more than a page is read instead of a COUNT over the whole list."""
    start = (number - 1) * per_page
    rows = list(items[start : start + per_page + 1])
    return rows[:per_page], len(rows) > per_page


def pager(request: HttpRequest, number: int, has_next: bool) -> Pager:
    def url(n: int) -> str:
        query: QueryDict = request.GET.copy()
        if n == 1:
            query.pop("page", None)
        else:
            query["page"] = str(n)
        encoded = query.urlencode()
        return request.path + (f"?{encoded}" if encoded else "")

    return Pager(
        number=number,
        prev_url=url(number - 1) if number > 1 else None,
        next_url=url(number + 1) if has_next else None,
    )
