"""Digest periods: the key of a period, and the feed period it covers."""

from __future__ import annotations

import datetime as dt

from paperwire.papers import feed


def period_key(frequency: str, period: feed.FeedPeriod) -> str:
    return f"{frequency}:{period.slug}"


def parse_period_key(key: str) -> feed.FeedPeriod:
    frequency, _, slug = key.partition(":")
    if frequency == "daily":
        return feed.parse_day(slug)
    if frequency == "weekly":
        return feed.parse_week(slug)
    raise feed.InvalidPeriod(f"unknown digest period {key!r}: use daily:DATE or weekly:YYYY-Www")


def default_period(frequency: str, today: dt.date) -> feed.FeedPeriod | None:
    """The period a digest sent today covers: the latest feed day up to today, or for
    weekly digests the last complete ISO week. None when there are no papers at all."""
    if frequency == "weekly":
        return feed.week_of(today).previous()
    latest = feed.latest_feed_date(today)
    return feed.day(latest) if latest else None
