"""One shape for a paper from any arXiv source, and the text clean-up all sources share."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field

from paperwire.ingest.errors import FeedFormatError
from paperwire.ingest.sqltext import Prepared
from paperwire.papers.control_chars import strip_control_chars
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.records import AuthorRecord
from paperwire.papers.tex import accents_to_letters


@dataclass
class ArxivEntry:
    """A paper as one source saw it. None means the source did not say."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[AuthorRecord]
    categories: list[str]
    primary_category: str
    # Versions the source knows: {"version": n or None, "date": "YYYY-MM-DD[THH:MM:SSZ]"}.
    versions: list[dict[str, object]] = field(default_factory=list)
    latest_version: int | None = None
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    # The day the paper entered the arXiv listings as new (or cross-listed), when known;
    # None for a replacement, which never puts a paper into today's feed.
    feed_date: dt.date | None = None
    # Values in stored form, made by the parse-ahead worker for the storing process;
    # derived from the fields above, so not part of the entry's equality, and not copied
    # by dataclasses.replace (whose changes would make them stale).
    prepared: Prepared | None = field(default=None, init=False, compare=False, repr=False)


def split_id(raw: str, *, where: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2401.01234v2' or 'oai:arXiv.org:hep-th/9901001' -> (id, version)."""
    text = raw.strip()
    for prefix in ("oai:arXiv.org:", "oai:arxiv.org:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if "/abs/" in text:
        text = text.split("/abs/", 1)[1]
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise FeedFormatError(f"{where}: {raw.strip()[:80]!r} is not an arXiv identifier")
    return parsed


_PARA_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]{2,}\S)")
_SPACE = re.compile(r"\s+")


def clean_line(text: str | None) -> str:
    """A title or name on one line: runs of whitespace become one space, control
    characters go (XML 1.0 allows DEL and the C1 controls). TeX is kept."""
    if not text:
        return ""
    line = " ".join(text.split())  # also drops the controls that count as whitespace
    if not line.isprintable():  # rare: checked after the split, which is done anyway
        line = " ".join(strip_control_chars(line).split())
    return line


def clean_abstract(text: str | None) -> str:
    """Unwrap the 80-column lines of arXiv abstracts, keeping paragraph breaks (a blank
    line or an indented line) as blank lines. TeX ($x^2$, \\emph{…}) is left as written."""
    paragraphs = (clean_line(p) for p in _PARA_BREAK.split((text or "").strip()))
    return "\n\n".join(p for p in paragraphs if p)


def tex_to_unicode(name: str) -> str:
    """Author names as people read them: Bal\\'azs -> Balázs, {\\o}ksendal -> øksendal."""
    return accents_to_letters(name)


def clean_name(name: str) -> str:
    if "\\" not in name:  # the common case: no TeX to convert or keep
        return " ".join(name.split()).replace("{", "").replace("}", "")
    text = clean_line(tex_to_unicode(name))
    return text.replace("{", "").replace("}", "") if "\\" not in text else text


_PARENS = re.compile(r"\([^()]*(?:\([^()]*\)[^()]*)*\)")
_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_TRAILING_AFFILIATION = re.compile(r"^(.*?)\s*\x00(\d+)\x00\s*$")
_MASKED = re.compile(r"\x00(\d+)\x00")


def split_author_string(text: str) -> list[AuthorRecord]:
    """arXivRaw's one-line author list: 'A. One (MIT), B. Two and C. Three (ETH)'.
    Commas and 'and' inside parentheses belong to an affiliation."""
    flat = clean_line(text)
    groups: list[str] = []

    def mask(match: re.Match[str]) -> str:
        groups.append(match.group(0)[1:-1])
        return f"\x00{len(groups) - 1}\x00"

    if "(" in flat:
        flat = _PARENS.sub(mask, flat)
    authors = []
    for part in _SEPARATORS.split(flat):
        name, affiliation = part, ""
        # Both patterns need a masked group: skip them for parts without one.
        if groups and "\x00" in part:
            found = _TRAILING_AFFILIATION.match(part)
            if found and found.group(1):
                name, affiliation = found.group(1), groups[int(found.group(2))]
            if "\x00" in name:
                name = _MASKED.sub(lambda m: f"({groups[int(m.group(1))]})", name)
        name = clean_name(name)
        if name:
            authors.append(
                AuthorRecord(name[:300], clean_name(affiliation)[:300] if affiliation else "")
            )
    return authors


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text or not text.strip():
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=dt.UTC)
        stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FeedFormatError(f"{raw[:40]!r} is not a date") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_GMT = re.compile(r"^\s*(?:\w{3}, )?(\d{1,2}) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\s*$")


def parse_rfc2822(text: str | None) -> dt.datetime | None:
    """'Mon, 2 Apr 2007 19:18:42 GMT' (arXivRaw versions, RSS pubDate), kept in its zone."""
    if not text or not text.strip():
        return None
    fast = _GMT.match(text)
    if fast and fast.group(2) in _MONTHS:
        # arXivRaw's own form, read without email.utils (it is on every version line).
        day, month, year, hh, mm, ss = fast.groups()
        try:
            return dt.datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss),
                               tzinfo=dt.UTC)  # fmt: skip
        except ValueError:
            raise FeedFormatError(f"{text.strip()[:40]!r} is not a date") from None
    try:
        stamp = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        raise FeedFormatError(f"{text.strip()[:40]!r} is not an RFC 2822 date") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def version_date(stamp: dt.datetime, *, date_only: bool = False) -> str:
    if stamp.tzinfo is not dt.UTC:
        stamp = stamp.astimezone(dt.UTC)
    if date_only:
        return stamp.date().isoformat()
    # "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00": the first 19 characters, without the fraction.
    return stamp.isoformat()[:19] + "Z"


def raw_version_date(text: str | None) -> tuple[dt.datetime, str] | None:
    """An arXivRaw version's <date>: (the moment in UTC, its version_date), or None when
    empty."""
    stamp = parse_rfc2822(text)
    if stamp is None:
        return None
    if stamp.tzinfo is not dt.UTC:
        stamp = stamp.astimezone(dt.UTC)
    return stamp, stamp.isoformat()[:19] + "Z"


_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")


def arxiv_categories(codes: list[str]) -> list[str]:
    """arXiv category codes in order, without repeats or ACM/MSC classes (I.2.7, 68T50)."""
    seen: list[str] = []
    for code in codes:
        code = code.strip()
        if code and _CATEGORY.match(code) and code not in seen:
            seen.append(code)
    return seen


def optional(text: str | None, limit: int) -> str | None:
    """A cleaned optional field: None when absent, '' never stored over a value."""
    value = clean_line(text)
    return value[:limit] if value else None
