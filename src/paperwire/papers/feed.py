"""The daily feed: periods (day, ISO week, month), their entries, and navigation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Expression, F, FloatField, Func, QuerySet, Value
from django.db.models.functions import Cast, Greatest, Power
from django.db.models.query import ModelIterable
from django.utils import timezone

from paperwire.papers.models import FeedEntry, Paper, PaperAuthor

PeriodKind = Literal["day", "week", "month"]
SortKey = Literal["upvotes", "publishedAt", "trending"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

# Trending: Hacker News gravity. score = upvotes / (age_hours + 2) ** GRAVITY,
# age counted from the moment the paper entered the feed. Documented on /about.
TRENDING_GRAVITY = 1.8


class InvalidPeriod(ValueError):
    """A date, week or month that cannot be read; the message says what is expected."""


@dataclass(frozen=True)
class FeedPeriod:
    kind: PeriodKind
    start: dt.date
    end: dt.date  # inclusive

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return format_feed_date(self.start, long=True)
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year}"
        return self.start.strftime("%B %Y")

    def previous(self) -> FeedPeriod:
        if self.kind == "day":
            return day(self.start - dt.timedelta(days=1))
        if self.kind == "week":
            return week_of(self.start - dt.timedelta(days=7))
        return month_of((self.start - dt.timedelta(days=1)).replace(day=1))

    def next(self) -> FeedPeriod:
        if self.kind == "day":
            return day(self.start + dt.timedelta(days=1))
        if self.kind == "week":
            return week_of(self.start + dt.timedelta(days=7))
        return month_of(self.end + dt.timedelta(days=1))


def day(date: dt.date) -> FeedPeriod:
    return FeedPeriod("day", date, date)


def week_of(date: dt.date) -> FeedPeriod:
    start = date - dt.timedelta(days=date.weekday())
    return FeedPeriod("week", start, start + dt.timedelta(days=6))


def month_of(date: dt.date) -> FeedPeriod:
    start = date.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return FeedPeriod("month", start, following - dt.timedelta(days=1))


# Years whose neighbouring periods (previous/next links, nearest day) are still dates.
MIN_YEAR, MAX_YEAR = 1000, 9998


def _check_year(year: int, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidPeriod(f"{what} is out of range: years run from {MIN_YEAR} to {MAX_YEAR}")


def parse_day(value: str) -> FeedPeriod:
    if not _DATE_RE.match(value):
        raise InvalidPeriod(f"date {value!r} is not of the form YYYY-MM-DD, e.g. 2026-01-05")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidPeriod(f"date {value!r} does not exist: {exc}") from None
    _check_year(date.year, f"date {value!r}")
    return day(date)


def parse_week(value: str) -> FeedPeriod:
    match = _WEEK_RE.match(value)
    if not match:
        raise InvalidPeriod(f"week {value!r} is not of the form YYYY-Www, e.g. 2026-W02")
    year, week = int(match.group(1)), int(match.group(2))
    _check_year(year, f"week {value!r}")
    try:
        start = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidPeriod(f"week {value!r} does not exist: {year} has no week {week}") from None
    return week_of(start)


def parse_month(value: str) -> FeedPeriod:
    match = _MONTH_RE.match(value)
    if not match:
        raise InvalidPeriod(f"month {value!r} is not of the form YYYY-MM, e.g. 2026-01")
    year, month = int(match.group(1)), int(match.group(2))
    _check_year(year, f"month {value!r}")
    if not 1 <= month <= 12:
        raise InvalidPeriod(f"month {value!r} does not exist: months run from 01 to 12")
    return month_of(dt.date(year, month, 1))


def format_feed_date(date: dt.date | dt.datetime | None, *, long: bool = False) -> str:
    """'Jan 9' within the current year, 'Feb 1, 2023' otherwise (as the seed pages show)."""
    if date is None:
        return ""
    if isinstance(date, dt.datetime):
        date = date.date()
    month = date.strftime("%B" if long else "%b")
    if date.year == timezone.now().year and not long:
        return f"{month} {date.day}"
    return f"{month} {date.day}, {date.year}"


class _EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, on SQLite and PostgreSQL."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday, not strftime('%s'): a literal %s would be taken for a query parameter.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")


def trending_score(now: dt.datetime | None = None) -> Expression:
    """The trending score as a database expression (see TRENDING_GRAVITY)."""
    now_epoch = (now or timezone.now()).timestamp()
    age_hours = Greatest(
        (Value(now_epoch) - _EpochSeconds(F("submitted_at"))) / Value(3600.0), Value(0.0)
    )
    return Cast(F("upvotes"), FloatField()) / Power(age_hours + Value(2.0), Value(TRENDING_GRAVITY))


class _WithAuthorNames(ModelIterable):
    """Feed entries whose papers know their author names, loaded in one narrow query.

    prefetch_related("paper__paper_authors__author") builds two model objects per author
    (~10 a paper): on a feed page that cost more than the rest of the query.
    """

    def __iter__(self) -> Iterator[Any]:
        rows = list(super().__iter__())
        attach_author_names([row.paper for row in rows])
        yield from rows


def attach_author_names(papers: list[Paper]) -> None:
    """Give each paper its author names in byline order (Paper.author_names reads them)."""
    refs: dict[int, list[tuple[int, str]]] = {paper.pk: [] for paper in papers}
    ids = list(refs)
    for start in range(0, len(ids), 500):
        rows = (
            PaperAuthor.objects.filter(paper_id__in=ids[start : start + 500])
            .order_by("paper_id", "position")
            .values_list("paper_id", "author_id", "author__name")
        )
        for paper_id, author_id, name in rows:
            refs[paper_id].append((author_id, name))
    for paper in papers:
        paper.__dict__["_author_refs"] = refs[paper.pk]
        paper.__dict__["_author_names"] = [name for _, name in refs[paper.pk]]


def entries(period: FeedPeriod | None, sort: SortKey = "upvotes") -> QuerySet[FeedEntry]:
    """Feed entries of a period (all periods when None), with what a card shows loaded."""
    qs = FeedEntry.objects.filter(paper__hidden=False).select_related(
        "paper", "paper__organization", "submitted_by"
    )
    # Author names come with the entries, read by one narrow query (see _WithAuthorNames).
    # _iterable_class is how values()/values_list() pick their rows; clones keep it.
    qs._iterable_class = _WithAuthorNames
    if period is not None:
        qs = qs.filter(feed_date__range=(period.start, period.end))
    if sort == "trending":
        return qs.annotate(score=trending_score()).order_by("-score", "-submitted_at", "pk")
    if sort == "publishedAt":
        return qs.order_by("-submitted_at", "-upvotes", "pk")
    return qs.order_by("-upvotes", F("paper__published_at").desc(nulls_last=True), "pk")


def latest_feed_date(on_or_before: dt.date | None = None) -> dt.date | None:
    qs = FeedEntry.objects.all()
    if on_or_before is not None:
        qs = qs.filter(feed_date__lte=on_or_before)
    return qs.order_by("-feed_date").values_list("feed_date", flat=True).first()


def earlier_feed_date(date: dt.date) -> dt.date | None:
    return latest_feed_date(date - dt.timedelta(days=1))


def later_feed_date(date: dt.date) -> dt.date | None:
    qs = FeedEntry.objects.filter(feed_date__gt=date).order_by("feed_date")
    return qs.values_list("feed_date", flat=True).first()


def nearest_feed_date(period: FeedPeriod) -> dt.date | None:
    """The date with papers closest to a period that has none (earlier wins a tie)."""
    before = latest_feed_date(period.start)
    after = later_feed_date(period.end)
    if before is None or after is None:
        return before or after
    return before if (period.start - before) <= (after - period.end) else after


def period_containing(kind: PeriodKind, date: dt.date) -> FeedPeriod:
    if kind == "week":
        return week_of(date)
    if kind == "month":
        return month_of(date)
    return day(date)


def neighbour_periods(period: FeedPeriod) -> tuple[FeedPeriod | None, FeedPeriod | None]:
    """The nearest earlier and later periods of the same kind that have papers, skipping
    empty ones as the day view skips empty days; None where there is none."""
    earlier = earlier_feed_date(period.start)
    later = later_feed_date(period.end)
    return (
        period_containing(period.kind, earlier) if earlier else None,
        period_containing(period.kind, later) if later else None,
    )
