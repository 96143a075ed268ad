"""The text Django's SQLite backend stores for datetimes and JSON, made without Django, so
the parse-ahead worker (which has no database) can make it for the storing process.

Only valid for a SQLite database running in UTC (settings.TIME_ZONE), which is what
paperwire configures; the storing side checks that before using any of it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any, NamedTuple


class Ready(str):
    """Text already in the form the database column stores: written as it is."""

    __slots__ = ()


def sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), without
    its per-value settings lookups."""
    if value is None:
        return None
    if type(value) is Ready:
        return value
    if value.tzinfo is dt.UTC:
        return value.isoformat(" ")[:-6]  # without its "+00:00"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


# Characters json.dumps writes as they are (ensure_ascii): no escaping needed.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def sqlite_json(value: Any) -> str | None:
    """json.dumps(value), with a shortcut for the two shapes every ingested paper has: a
    list of plain strings (categories) and a list of {"version": n, "date": "…"}."""
    if value is None:
        return None
    if type(value) is Ready:
        return value
    if type(value) is list:
        plain = _PLAIN.fullmatch
        if all(type(v) is str and plain(v) for v in value):
            return "[" + ", ".join(f'"{v}"' for v in value) + "]"
        if all(type(v) is dict and len(v) == 2 and type(v.get("version")) is int
               and type(v.get("date")) is str and plain(v["date"]) and next(iter(v)) == "version"
               for v in value):  # fmt: skip
            return (
                "["
                + ", ".join(f'{{"version": {v["version"]}, "date": "{v["date"]}"}}' for v in value)
                + "]"
            )
    return json.dumps(value)


def numbered_in_order(versions: list[dict[str, Any]]) -> bool:
    """True when every version has a number and they come in order: a new paper's history
    is then stored as given (upsert.merge_versions), and can be prepared as text."""
    return all(type(v.get("version")) is int for v in versions) and all(
        a["version"] <= b["version"] for a, b in itertools.pairwise(versions)
    )


class Prepared(NamedTuple):
    """An entry's values in stored form, for a new paper (None: make it when storing)."""

    title_key: str
    categories: str | None
    versions: str | None
    published: str | None
    updated: str | None
    # (search_title, search_abstract) of the entry's title and abstract (papers/tex.py
    # search_text), on any database; None: make them when storing.
    search: tuple[str | None, str | None] | None = None


def prepare(
    title_key: str,
    categories: list[str],
    versions: list[dict[str, Any]],
    published: dt.datetime | None,
    updated: dt.datetime | None,
    search: tuple[str | None, str | None] | None = None,
) -> Prepared:
    # The stored history of a new paper is its versions as given when they are numbered
    # and in order (upsert.merge_versions then copies them unchanged); else leave it.
    return Prepared(
        title_key,
        sqlite_json(categories) if categories else None,
        sqlite_json(versions) if numbered_in_order(versions) else None,
        sqlite_datetime(published),
        sqlite_datetime(updated),
        search,
    )
