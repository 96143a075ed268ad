"""The arXiv API (Atom 1.0 with the arxiv: and opensearch: namespaces).

A query by categories and submission-date range, paged with start/max_results in
ascending submission order, so a saved `start` resumes where a run stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from paperwire.ingest.errors import FeedFormatError, IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.normalize import (
    ArxivEntry,
    arxiv_categories,
    clean_abstract,
    clean_line,
    clean_name,
    optional,
    parse_iso,
    split_id,
    version_date,
)
from paperwire.ingest.xml import parse_xml, text_of
from paperwire.papers.records import AuthorRecord

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# The API's own hard limit on one query's result set.
API_MAX_RESULTS = 30_000
EMPTY_PAGE_RETRIES = 3


@dataclass
class AtomPage:
    total: int
    start: int
    per_page: int
    entries: list[ArxivEntry]


def search_query(categories: list[str], since: dt.date, until: dt.date) -> str:
    cats = " OR ".join(f"cat:{c}" for c in categories)
    span = f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
    return f"({cats}) AND {span}" if len(categories) > 1 else f"{cats} AND {span}"


def query_params(
    categories: list[str], since: dt.date, until: dt.date, start: int, page_size: int
) -> dict[str, str]:
    return {
        "search_query": search_query(categories, since, until),
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
        "start": str(start),
        "max_results": str(page_size),
    }


def fetch_api_page(client: PoliteClient, base_url: str, params: dict[str, str]) -> AtomPage:
    # A malformed query is answered with HTTP 400 and an Atom feed holding an error entry.
    resp = client.get(base_url, params, ok=frozenset({400}))
    page = parse_atom_page(resp.body, where=f"arXiv API start={params.get('start')}")
    if resp.status == 400:
        raise IngestError("arXiv API answered HTTP 400 without an error message")
    return page


def iter_api_pages(
    client: PoliteClient,
    base_url: str,
    categories: list[str],
    since: dt.date,
    until: dt.date,
    *,
    start: int = 0,
    page_size: int = 200,
) -> Iterator[tuple[AtomPage, int | None]]:
    """Yield (page, next_start); next_start is None after the last page."""
    empty_retries = 0
    while True:
        page = fetch_api_page(
            client, base_url, query_params(categories, since, until, start, page_size)
        )
        if not page.entries and start < min(page.total, API_MAX_RESULTS):
            # The API sometimes returns an empty page inside a result set; asking again helps.
            empty_retries += 1
            if empty_retries <= EMPTY_PAGE_RETRIES:
                log.warning("empty API page at start=%d of %d; asking again", start, page.total)
                continue
            raise IngestError(
                # The command adds what to do ("run again to resume"), as for every error.
                f"arXiv API kept returning empty pages at start={start} of {page.total} "
                "results (it does so when busy)"
            )
        empty_retries = 0
        nxt = start + len(page.entries)
        done = not page.entries or nxt >= min(page.total, API_MAX_RESULTS)
        if done and page.total > API_MAX_RESULTS:
            log.warning(
                "query has %d results; the API serves only the first %d: "
                "use shorter --since/--until spans",
                page.total,
                API_MAX_RESULTS,
            )
        yield page, None if done else nxt
        if done:
            return
        start = nxt


def parse_atom_page(data: bytes, *, where: str = "arXiv API response") -> AtomPage:
    root = parse_xml(data, where=where)
    if root.tag != f"{ATOM}feed":
        raise FeedFormatError(
            f"{where}: expected an Atom <feed>, found <{etree.QName(root).localname}>"
        )
    entries: list[ArxivEntry] = []
    for el in root.iterfind(f"{ATOM}entry"):
        entry_id = (el.findtext(f"{ATOM}id") or "").strip()
        if "/api/errors" in entry_id:
            message = clean_line(el.findtext(f"{ATOM}summary")) or entry_id
            raise IngestError(f"arXiv API error: {message}")
        entries.append(parse_atom_entry(el, where=where))
    return AtomPage(
        total=_int(root.findtext(f"{OPENSEARCH}totalResults"), "totalResults", where),
        start=_int(root.findtext(f"{OPENSEARCH}startIndex"), "startIndex", where),
        per_page=_int(root.findtext(f"{OPENSEARCH}itemsPerPage"), "itemsPerPage", where),
        entries=entries,
    )


def parse_atom_entry(el: etree._Element, *, where: str) -> ArxivEntry:
    arxiv_id, version = split_id(el.findtext(f"{ATOM}id") or "", where=where)
    published = parse_iso(el.findtext(f"{ATOM}published"))
    updated = parse_iso(el.findtext(f"{ATOM}updated"))
    versions: list[dict[str, object]] = []
    if published:
        versions.append({"version": 1, "date": version_date(published)})
    if version and version > 1 and updated:
        versions.append({"version": version, "date": version_date(updated)})
    authors = []
    for author in el.iterfind(f"{ATOM}author"):
        name = clean_name(author.findtext(f"{ATOM}name") or "")
        affiliations = [clean_line(text_of(a)) for a in author.iterfind(f"{ARXIV}affiliation")]
        if name:
            authors.append(AuthorRecord(name[:300], "; ".join(a for a in affiliations if a)[:300]))
    categories = [c.get("term", "").strip() for c in el.iterfind(f"{ATOM}category")]
    primary_el = el.find(f"{ARXIV}primary_category")
    primary = (primary_el.get("term", "") if primary_el is not None else "").strip()
    categories = arxiv_categories(_primary_first(primary, categories))
    return ArxivEntry(
        arxiv_id=arxiv_id,
        title=clean_line(text_of(el.find(f"{ATOM}title")))[:1000],
        abstract=clean_abstract(text_of(el.find(f"{ATOM}summary"))),
        authors=authors,
        categories=categories,
        primary_category=categories[0] if categories else "",
        versions=versions,
        latest_version=version,
        published=published,
        updated=updated,
        comments=optional(text_of(el.find(f"{ARXIV}comment")), 5000),
        journal_ref=optional(text_of(el.find(f"{ARXIV}journal_ref")), 500),
        doi=optional(text_of(el.find(f"{ARXIV}doi")), 200),
        # The API states no announcement date: the first version's submission day stands in.
        feed_date=published.date() if published else None,
    )


def _primary_first(primary: str, categories: list[str]) -> list[str]:
    if not primary:
        return categories
    return [primary, *(c for c in categories if c != primary)]


def _int(text: str | None, name: str, where: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise FeedFormatError(f"{where}: opensearch:{name} is missing or not a number") from None
