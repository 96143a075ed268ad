"""The values the ingest settings and options take, in a module light enough for the
app's ready() to check PAPERWIRE_INGEST_SOURCE and PAPERWIRE_INGEST_PARSE_AHEAD at
every start (the pipeline itself imports the HTTP client and search backends)."""

from __future__ import annotations

from paperwire.envparse import FALSE_WORDS, TRUE_WORDS
from paperwire.ingest.errors import IngestError

SOURCES = ("api", "oai", "rss")

_AUTO = ("auto", "")


def parse_ahead_choice(value: str) -> bool | None:
    """PAPERWIRE_INGEST_PARSE_AHEAD: True (on), False (off) or None (auto: on with two
    or more CPUs)."""
    word = value.strip().lower()
    if word in _AUTO:  # "" first: for env_bool it is off
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise IngestError(f"PAPERWIRE_INGEST_PARSE_AHEAD is {value!r}: use auto, on or off")


def check_source_setting(value: str) -> None:
    """PAPERWIRE_INGEST_SOURCE, checked when Django starts, as the categories are: a typo
    stops every command at once, not the daily ingest run hours later."""
    if value not in SOURCES:
        raise ValueError(
            f"PAPERWIRE_INGEST_SOURCE={value!r} is not a source: use oai (the default), api or rss"
        )


def check_parse_ahead_setting(value: str) -> None:
    try:
        parse_ahead_choice(value)
    except IngestError:
        raise ValueError(f"PAPERWIRE_INGEST_PARSE_AHEAD={value!r} is not auto, on or off") from None
