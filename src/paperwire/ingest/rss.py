"""arXiv's daily announcement feeds (rss.arxiv.org/rss/<category>, RSS 2.0).

Each item carries arxiv:announce_type: `new` and `cross` put a paper into that day's
feed; `replace` and `replace-cross` only update a paper (a new version).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree

from paperwire.ingest.errors import FeedFormatError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.normalize import (
    ArxivEntry,
    arxiv_categories,
    clean_abstract,
    clean_line,
    optional,
    parse_rfc2822,
    split_author_string,
    split_id,
)
from paperwire.ingest.xml import parse_xml, text_of

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
ANNOUNCE_TYPES = {"new", "cross", "replace", "replace-cross"}
_ABSTRACT = re.compile(r"^.*?Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.DOTALL)


@dataclass
class RssFeed:
    announced: dt.date | None
    entries: list[ArxivEntry] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)


def feed_url(base_url: str, category: str) -> str:
    return base_url.rstrip("/") + "/" + category


def fetch_rss(client: PoliteClient, base_url: str, category: str) -> RssFeed:
    resp = client.get(feed_url(base_url, category))
    return parse_rss(resp.body, where=f"RSS feed {category}")


def parse_rss(data: bytes, *, where: str = "RSS feed") -> RssFeed:
    root = parse_xml(data, where=where)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedFormatError(
            f"{where}: expected <rss><channel>, found <{etree.QName(root).localname}>"
        )
    stamp = parse_rfc2822(channel.findtext("pubDate") or channel.findtext("lastBuildDate"))
    # The announcement day is the feed's own (Eastern) date, not the UTC one.
    feed = RssFeed(announced=stamp.date() if stamp else None)
    for item in channel.iterfind("item"):
        guid = item.findtext("guid") or item.findtext("link") or ""
        arxiv_id, version = split_id(guid, where=where)
        kind = clean_line(item.findtext(f"{ARXIV}announce_type")).lower()
        if kind not in ANNOUNCE_TYPES:
            raise FeedFormatError(f"{where}: {arxiv_id} has announce_type {kind!r}")
        item_stamp = parse_rfc2822(item.findtext("pubDate")) or stamp
        announced = item_stamp.date() if item_stamp else None
        categories = arxiv_categories([clean_line(c.text) for c in item.iterfind("category")])
        description = text_of(item.find("description")) or ""
        entry = ArxivEntry(
            arxiv_id=arxiv_id,
            title=clean_line(text_of(item.find("title")))[:1000],
            abstract=clean_abstract(_ABSTRACT.sub("", description, count=1)),
            authors=split_author_string(text_of(item.find(f"{DC}creator")) or ""),
            categories=categories,
            # The feed lists the primary category first.
            primary_category=categories[0] if categories else "",
            # The feed numbers the version but does not date it; a later harvest fills dates.
            versions=[{"version": version, "date": None}] if version else [],
            latest_version=version,
            license=optional(text_of(item.find(f"{DC}rights")), 300),
            feed_date=announced if kind in {"new", "cross"} else None,
        )
        feed.entries.append(entry)
        feed.types[arxiv_id] = kind
    return feed
