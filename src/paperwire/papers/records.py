"""Paper records as they travel in files: validation in, JSON out.

Three input shapes are read: the JSONL of shared/data (snake_case, with our own
extension fields), items of Hugging Face's /api/daily_papers (an outer object
with a `paper` inside), and Hugging Face paper objects (/api/papers/{id}).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from paperwire.papers.control_chars import strip_control_chars
from paperwire.papers.ids import PUBLIC_ID_RE, hub_id, parse_arxiv_id
from paperwire.papers.tex import accents_to_letters

MAX_TITLE = 1000
MAX_ABSTRACT = 50_000
MAX_AUTHORS = 5_000
MAX_NAME = 300
MAX_TEXT = 5_000
MAX_URL = 500


class RecordError(ValueError):
    """A record that cannot be stored; the message names the field and the problem."""


@dataclass
class AuthorRecord:
    name: str
    affiliation: str = ""


@dataclass
class OrganizationRecord:
    name: str
    fullname: str = ""
    avatar: str = ""


@dataclass
class PaperRecord:
    """A validated paper. None means "not given": an update leaves that field alone."""

    title: str
    public_id: str | None = None
    arxiv_id: str | None = None
    abstract: str | None = None
    published_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    authors: list[AuthorRecord] | None = None
    num_authors: int | None = None
    organization: OrganizationRecord | None = None
    categories: list[str] | None = None
    primary_category: str | None = None
    versions: list[dict[str, Any]] | None = None
    text_fields: dict[str, str] = field(default_factory=dict)
    github_stars: int | None = None
    media_urls: list[str] | None = None
    ai_keywords: list[str] | None = None
    withdrawn_at: dt.datetime | None = None
    feed_date: dt.date | None = None
    submitted_at: dt.datetime | None = None
    listed_at: dt.datetime | None = None
    submitter_name: str | None = None
    submitter_fullname: str | None = None
    submitter_avatar: str | None = None
    upvotes: int | None = None
    num_comments: int | None = None


# Optional free-text and URL fields, by their name in our JSONL and (after |) in HF's JSON.
TEXT_FIELDS = {
    "comments": ("comments", MAX_TEXT),
    "journal_ref": ("journal_ref", 500),  # Paper.journal_ref is a CharField(500)
    "doi": ("doi", 200),
    "license": ("license", 300),
    "code_url": ("githubRepo", MAX_URL),
    "project_url": ("projectPage", MAX_URL),
    "ai_summary": ("ai_summary", MAX_TEXT),
    "ai_summary_model": ("ai_summary_model", 100),
    "hub_discussion_id": ("discussionId", 64),
}
# Shown as links: anything but http(s) (javascript:, data:) would run in the reader's browser.
URL_FIELDS = {"license", "code_url", "project_url"}
# The submitter the API names for entries nobody submitted (hfjson.site_user_json).
SITE_USER_ID = hub_id("user", 0)
# The Hub's ids are 24 hex digits; anything of letters and digits is kept as given.
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")


def _text_field(obj: dict[str, Any], key: str, name: str, limit: int) -> str | None:
    value = _str(obj, key, limit=limit)
    if value and name in URL_FIELDS:
        _check_url(value, key)
    if value and name == "hub_discussion_id" and not _HUB_ID_RE.match(value):
        raise RecordError(f"'{key}' may hold only letters and digits, not {value[:40]!r}")
    return value


def _url(obj: dict[str, Any], key: str) -> str | None:
    value = _str(obj, key, limit=MAX_URL)
    if value:
        _check_url(value, key)
    return value


def _url_list(value: Any, key: str) -> list[str] | None:
    urls = _string_list(value, key)
    for url in urls or []:
        if len(url) > MAX_URL:
            raise RecordError(f"'{key}' has a URL over {MAX_URL} characters")
        _check_url(url, key)
    return urls


def _check_url(value: str, key: str) -> None:
    if not value.lower().startswith(("http://", "https://")):
        raise RecordError(f"'{key}' must be an http(s) URL, not {value[:40]!r}")


def _str(obj: dict[str, Any], key: str, *, limit: int, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise RecordError(f"'{key}' is missing")
        return None
    if not isinstance(value, str):
        raise RecordError(f"'{key}' must be a string, not {type(value).__name__}")
    # Control characters break XML (feeds), PostgreSQL (NUL) and mail; nobody sees them.
    value = strip_control_chars(value).strip()
    if required and not value:
        raise RecordError(f"'{key}' is empty")
    if len(value) > limit:
        raise RecordError(f"'{key}' is too long ({len(value):,} characters; at most {limit:,})")
    return value


def _count(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"'{key}' must be a whole number, not {value!r}")
    if not 0 <= value <= 10**9:
        raise RecordError(f"'{key}' must be between 0 and 1000000000, not {value}")
    return value


def parse_when(value: Any, key: str) -> dt.datetime | None:
    """A date (YYYY-MM-DD, taken as midnight UTC) or an ISO 8601 timestamp."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"'{key}' must be a date string like 2023-02-01, not {value!r}")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(
            f"'{key}' is not a valid date: {text[:40]!r} (expected YYYY-MM-DD or ISO 8601)"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return to_millis(stamp.astimezone(dt.UTC))


def to_millis(stamp: dt.datetime) -> dt.datetime:
    """Times are kept to the millisecond, the precision they are written out with
    (iso_z), so an exported file imports back without changing anything."""
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _authors(value: Any) -> list[AuthorRecord] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordError("'authors' must be a list of {\"name\": …} objects")
    if len(value) > MAX_AUTHORS:
        raise RecordError(f"'authors' has {len(value):,} entries; at most {MAX_AUTHORS:,}")
    authors = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise RecordError(f"'authors[{i}]' must be an object with a name")
        name = _str(item, "name", limit=MAX_NAME, required=True)
        affiliation = _str(item, "affiliation", limit=MAX_NAME) or ""
        # TeX accents as letters, as the arXiv ingest stores names: `G\"odel` is Gödel,
        # one author with the Unicode spelling, not a second one shown with a backslash.
        authors.append(AuthorRecord(accents_to_letters(name or ""), affiliation))
    return authors


def _organization(value: Any) -> OrganizationRecord | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError("'organization' must be an object with a name")
    name = _str(value, "name", limit=100, required=True) or ""
    fullname = _str(value, "fullname", limit=200) or ""
    avatar = _str(value, "avatar", limit=MAX_URL) or _str(value, "avatarUrl", limit=MAX_URL) or ""
    if not avatar.lower().startswith(("http://", "https://")):
        avatar = ""  # a relative or script URL is no picture we can show; the name is enough
    return OrganizationRecord(name, fullname, avatar)


def _string_list(value: Any, key: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"'{key}' must be a list of strings")
    if len(value) > 100:
        raise RecordError(f"'{key}' has too many entries ({len(value)}; at most 100)")
    cleaned = (strip_control_chars(v).strip() for v in value)
    return [v for v in cleaned if v]


def _ids(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """(public_id, arxiv_id) from 'id' and 'arxiv_id'; an arXiv-shaped 'id' is the arXiv id."""
    arxiv = _str(obj, "arxiv_id", limit=64)
    public = _str(obj, "id", limit=64)
    if arxiv:
        parsed = parse_arxiv_id(arxiv)
        if parsed is None:
            raise RecordError(f"'arxiv_id' {arxiv!r} is not an arXiv id like 2401.01234")
        arxiv = parsed[0]
    if public:
        parsed = parse_arxiv_id(public)
        if parsed is not None:
            arxiv = arxiv or parsed[0]
            public = parsed[0]
        elif not PUBLIC_ID_RE.match(public):
            raise RecordError(f"'id' {public!r} may hold only letters, digits, '.', '-' and '/'")
    return public, arxiv


def record_from_json(obj: Any) -> PaperRecord:
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    if isinstance(obj.get("paper"), dict):
        return _from_daily_item(obj)
    if "publishedAt" in obj:
        return _from_hf_paper(obj, obj)
    return _from_jsonl(obj)


def _from_jsonl(obj: dict[str, Any]) -> PaperRecord:
    public, arxiv = _ids(obj)
    feed = parse_when(obj.get("feed_date"), "feed_date")
    rec = PaperRecord(
        title=_str(obj, "title", limit=MAX_TITLE, required=True) or "",
        public_id=public,
        arxiv_id=arxiv,
        abstract=_str(obj, "summary", limit=MAX_ABSTRACT),
        published_at=parse_when(obj.get("published_at"), "published_at"),
        updated_at=parse_when(obj.get("updated_at"), "updated_at"),
        authors=_authors(obj.get("authors")),
        num_authors=_count(obj, "num_authors"),
        organization=_organization(obj.get("organization")),
        categories=_string_list(obj.get("categories"), "categories"),
        primary_category=_str(obj, "primary_category", limit=32),
        versions=_versions(obj.get("versions")),
        github_stars=_count(obj, "github_stars"),
        media_urls=_url_list(obj.get("media_urls"), "media_urls"),
        ai_keywords=_string_list(obj.get("ai_keywords"), "ai_keywords"),
        withdrawn_at=parse_when(obj.get("withdrawn_at"), "withdrawn_at"),
        feed_date=feed.date() if feed else None,
        submitted_at=parse_when(obj.get("submitted_at"), "submitted_at"),
        listed_at=parse_when(obj.get("listed_at"), "listed_at"),
        submitter_name=_str(obj, "submitted_by", limit=150),
        submitter_fullname=_str(obj, "submitted_by_fullname", limit=200),
        submitter_avatar=_url(obj, "submitted_by_avatar"),
        upvotes=_count(obj, "upvotes"),
        num_comments=_count(obj, "num_comments"),
    )
    for name, (_, limit) in TEXT_FIELDS.items():
        value = _text_field(obj, _JSONL_NAMES.get(name, name), name, limit)
        if value is not None:
            rec.text_fields[name] = value
    thumbnail = _url(obj, "thumbnail")
    if thumbnail is not None:
        rec.text_fields["thumbnail"] = thumbnail
    return rec


# Export names that differ from the model field's.
_JSONL_NAMES = {"hub_discussion_id": "discussion_id"}


def _from_hf_paper(paper: dict[str, Any], outer: dict[str, Any]) -> PaperRecord:
    """A Hub paper object, inside a daily-papers item (`outer`) or alone (outer is paper)."""
    public, arxiv = _ids(paper)
    title = outer.get("title") or paper.get("title")
    rec = PaperRecord(
        title=_str({"title": title}, "title", limit=MAX_TITLE, required=True) or "",
        public_id=public,
        arxiv_id=arxiv,
        abstract=_str(paper, "summary", limit=MAX_ABSTRACT),
        published_at=parse_when(paper.get("publishedAt"), "publishedAt"),
        # [] is "names not known" (a paper has authors): it must not erase stored names.
        authors=_authors(paper.get("authors")) or None,
        organization=_organization(paper.get("organization") or outer.get("organization")),
        upvotes=_count(paper, "upvotes"),
        github_stars=_count(paper, "githubStars"),
        media_urls=_url_list(paper.get("mediaUrls", outer.get("mediaUrls")), "mediaUrls"),
        ai_keywords=_string_list(paper.get("ai_keywords"), "ai_keywords"),
        withdrawn_at=parse_when(paper.get("withdrawnAt"), "withdrawnAt"),
    )
    rec.num_authors = len(rec.authors) if rec.authors else _count(paper, "numAuthors")
    for name, (hf_name, limit) in TEXT_FIELDS.items():
        value = _text_field(paper, hf_name, name, limit)
        if value:
            rec.text_fields[name] = value
    # A daily item's `thumbnail`, or a /api/papers item's `thumbnailUrl`.
    thumbnail = _url(outer, "thumbnail") or _url(paper, "thumbnailUrl")
    if thumbnail:
        rec.text_fields["thumbnail"] = thumbnail
    # The feed time is when the paper was submitted to the daily list. A daily item's
    # outer publishedAt is another time (around the arXiv announcement): kept as given,
    # and the feed time only when an older file has nothing else.
    submitted = parse_when(paper.get("submittedOnDailyAt"), "submittedOnDailyAt")
    by = paper.get("submittedOnDailyBy")
    if outer is not paper:
        rec.listed_at = parse_when(outer.get("publishedAt"), "publishedAt")
        submitted = submitted or rec.listed_at
        rec.num_comments = _count(outer, "numComments")
        by = outer.get("submittedBy") or by
    else:
        rec.num_comments = _count(paper, "numComments")
    if isinstance(by, dict) and by.get("_id") != SITE_USER_ID:
        rec.submitter_name = _str(by, "user", limit=150) or _str(by, "name", limit=150)
        fullname = _str(by, "fullname", limit=200)
        # A full name that only repeats the user name is what the API sends for none.
        if fullname and fullname != rec.submitter_name:
            rec.submitter_fullname = fullname
        avatar = _str(by, "avatarUrl", limit=MAX_URL)
        # A relative avatar (the Hub's own paths) is no picture we can show.
        if avatar and avatar.lower().startswith(("http://", "https://")):
            rec.submitter_avatar = avatar
    if submitted is not None:
        rec.submitted_at = submitted
        rec.feed_date = submitted.date()
    if rec.listed_at == rec.submitted_at:
        rec.listed_at = None  # nothing to keep beyond the feed time
    return rec


def _from_daily_item(obj: dict[str, Any]) -> PaperRecord:
    return _from_hf_paper(obj["paper"], obj)


def _versions(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RecordError("'versions' must be a list of objects")
    if len(value) > 1000:
        raise RecordError("'versions' has too many entries (at most 1000)")
    return [_json_without_control_chars(v) for v in value]


def _json_without_control_chars(value: Any) -> Any:
    """A JSON value with its strings (keys too) cleaned: PostgreSQL's jsonb refuses
    \u0000, and these values are shown on the paper page."""
    if isinstance(value, str):
        return strip_control_chars(value)
    if isinstance(value, list):
        return [_json_without_control_chars(v) for v in value]
    if isinstance(value, dict):
        return {
            strip_control_chars(str(k)): _json_without_control_chars(v) for k, v in value.items()
        }
    return value


def format_when(stamp: dt.datetime | None) -> str | None:
    """Midnight UTC as a plain date (the shared/data form), anything else as ISO 8601 Z."""
    if stamp is None:
        return None
    stamp = stamp.astimezone(dt.UTC)
    if stamp.time() == dt.time():
        return stamp.date().isoformat()
    return iso_z(stamp)


def iso_z(stamp: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Hugging Face's API writes times."""
    stamp = stamp.astimezone(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
