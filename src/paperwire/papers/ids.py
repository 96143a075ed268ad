"""Paper identifiers: arXiv ids in both schemes, title keys and short stable ids."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"

# 2401.01234, 0704.0001 (new scheme) and hep-th/9901001, math.GT/0309136 (old scheme),
# each with an optional version suffix.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"^(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?$")

# Short ids for papers with no arXiv id: "pw" + 10 base32 characters of the title's hash,
# so re-importing the same title anywhere yields the same id.
SHORT_ID_RE = re.compile(r"^pw[a-z2-7]{10}$")
PUBLIC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-/]{0,63}$")


def parse_arxiv_id(value: str) -> tuple[str, int | None] | None:
    """Split '2401.01234v2' into ('2401.01234', 2); None when it is not an arXiv id."""
    match = ARXIV_ID_RE.match(value.strip())
    if not match:
        return None
    version = match.group("version")
    return match.group("id"), int(version) if version else None


_WORD = re.compile(r"\w+")


def title_key(title: str) -> str:
    """Normalize a title for matching: case, accents, punctuation and spacing ignored."""
    if title.isascii():
        text = title.lower()  # NFKD and casefold change nothing else in ASCII
    else:
        text = unicodedata.normalize("NFKD", title)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_WORD.findall(text))


def short_id(title: str) -> str:
    digest = hashlib.sha256(title_key(title).encode()).digest()
    return "pw" + base64.b32encode(digest).decode("ascii").lower()[:10]


# The Hub names users, authors, organizations and discussions by 24 hex digits (MongoDB
# ObjectIds). Ours are made from primary keys: 8 digits for the kind of thing and 16 for
# the key, so an id never changes, and two kinds never share one.
HUB_ID_KINDS = {
    "user": 1,
    "author": 2,
    "organization": 3,
    "discussion": 4,
    "comment": 5,
    "submitter": 6,
    "collection": 7,
    "collection_item": 8,
}
HUB_ID_RE = re.compile(r"^[0-9a-f]{24}$")


def hub_id(kind: str, number: int) -> str:
    return f"{HUB_ID_KINDS[kind]:08x}{number:016x}"


def hub_id_of_name(kind: str, name: str) -> str:
    """For someone known only by name (a submitter imported without an account here)."""
    digest = hashlib.sha256(name.encode()).digest()
    return hub_id(kind, int.from_bytes(digest[:8], "big"))


def number_of_hub_id(kind: str, value: str) -> int | None:
    """The primary key inside one of our hub_id()s of that kind, or None."""
    if not HUB_ID_RE.match(value) or int(value[:8], 16) != HUB_ID_KINDS[kind]:
        return None
    return int(value[8:], 16)
