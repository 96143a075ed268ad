"""arXiv's OAI-PMH interface: ListRecords in the arXiv or arXivRaw metadata format.

A harvest is one (set, from, until) list walked with resumptionTokens; the token of
the next page is saved with each stored page, so a killed harvest resumes there.
Deleted records and noRecordsMatch are normal answers; 503 + Retry-After is flow
control, handled by the client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree

from paperwire.ingest.errors import BadResumptionToken, FeedFormatError, IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.normalize import (
    ArxivEntry,
    arxiv_categories,
    clean_abstract,
    clean_line,
    clean_name,
    optional,
    parse_iso,
    raw_version_date,
    split_author_string,
    split_id,
    version_date,
)
from paperwire.ingest.xml import parse_xml, text_of
from paperwire.papers.records import AuthorRecord

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
NS_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
PREFIXES = ("arXivRaw", "arXiv")
# A datestamp this long after the first version is a metadata edit, not the announcement.
ANNOUNCE_WINDOW = dt.timedelta(days=7)
_RECORD, _HEADER, _METADATA = f"{OAI}record", f"{OAI}header", f"{OAI}metadata"
_IDENTIFIER, _DATESTAMP = f"{OAI}identifier", f"{OAI}datestamp"
_RAW_BODY, _RAW_VERSION, _RAW_DATE = f"{NS_RAW}arXivRaw", f"{NS_RAW}version", f"{NS_RAW}date"


@dataclass
class OaiPage:
    entries: list[ArxivEntry] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: str | None = None
    complete_size: int | None = None
    records: int = 0


def list_records_params(
    prefix: str, set_spec: str, since: dt.date, until: dt.date, token: str | None
) -> dict[str, str]:
    if token:
        return {"verb": "ListRecords", "resumptionToken": token}
    return {
        "verb": "ListRecords",
        "metadataPrefix": prefix,
        "set": set_spec,
        "from": since.isoformat(),
        "until": until.isoformat(),
    }


def fetch_oai_body(
    client: PoliteClient, base_url: str, params: dict[str, str]
) -> tuple[bytes, str]:
    """A ListRecords response's bytes, and what to call it in an error message."""
    resp = client.get(base_url, params)
    where = "OAI-PMH " + ("resumptionToken" if "resumptionToken" in params else "ListRecords")
    return resp.body, where


def parse_oai_page(data: bytes, *, where: str = "OAI-PMH response") -> OaiPage:
    root = parse_xml(data, where=where)
    if root.tag != f"{OAI}OAI-PMH":
        raise FeedFormatError(f"{where}: expected <OAI-PMH>, found <{etree.QName(root).localname}>")
    page = OaiPage()
    for error in root.iterfind(f"{OAI}error"):
        code = error.get("code", "")
        message = clean_line(error.text)
        if code == "noRecordsMatch":
            return page
        if code == "badResumptionToken":
            raise BadResumptionToken(f"OAI-PMH: resumption token refused ({message})")
        raise IngestError(f"OAI-PMH error {code}: {message}")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise FeedFormatError(f"{where}: no <ListRecords> and no <error>")
    # Each record's elements are visited once, in document order, taking the first of a
    # tag as find() would: find() and findtext() per field cost more than the XML parse.
    for record in listing.iterchildren(_RECORD):
        page.records += 1
        header = metadata = None
        for part in record:
            tag = part.tag
            if tag == _HEADER:
                if header is None:
                    header = part
            elif tag == _METADATA and metadata is None:
                metadata = part
        if header is None:
            raise FeedFormatError(f"{where}: a <record> without a <header>")
        identifier = datestamp = None
        for item in header:
            tag = item.tag
            if tag == _IDENTIFIER:
                if identifier is None:
                    identifier = item.text or ""
            elif tag == _DATESTAMP and datestamp is None:
                datestamp = item.text or ""
        identifier = identifier or ""
        if header.get("status") == "deleted":
            page.deleted.append(split_id(identifier, where=where)[0])
            continue
        stamp = parse_iso(datestamp)
        body = metadata[0] if metadata is not None and len(metadata) else None
        if body is None:
            raise FeedFormatError(f"{where}: record {identifier!r} has no metadata")
        if body.tag == _RAW_BODY:
            entry = _from_raw(body, where)
        elif body.tag == f"{NS_ARXIV}arXiv":
            entry = _from_arxiv(body, where)
        else:
            raise FeedFormatError(f"{where}: unsupported metadata <{body.tag}>")
        entry.feed_date = _announced(entry, stamp)
        page.entries.append(entry)
    token_el = listing.find(f"{OAI}resumptionToken")
    if token_el is not None:
        page.token = (token_el.text or "").strip() or None
        size = token_el.get("completeListSize")
        page.complete_size = int(size) if size and size.isdigit() else None
    return page


def _announced(entry: ArxivEntry, stamp: dt.datetime | None) -> dt.date | None:
    """The datestamp of a never-replaced record is its announcement day; otherwise (and when
    the datestamp is long after submission) the first version's day stands in."""
    first = entry.published
    if first is None:
        return stamp.date() if stamp else None
    replaced = len(entry.versions) > 1
    if stamp and not replaced and dt.timedelta(0) <= stamp - first <= ANNOUNCE_WINDOW:
        return stamp.date()
    return first.date()


def _field(body: etree._Element, ns: str, name: str) -> str | None:
    return text_of(body.find(f"{ns}{name}"))


def _categories(text: str | None) -> list[str]:
    return arxiv_categories((text or "").split())


def _from_arxiv(body: etree._Element, where: str) -> ArxivEntry:
    ns = NS_ARXIV
    arxiv_id, _ = split_id(_field(body, ns, "id") or "", where=where)
    created = parse_iso(_field(body, ns, "created"))
    updated = parse_iso(_field(body, ns, "updated"))
    versions: list[dict[str, object]] = []
    if created:
        versions.append({"version": 1, "date": version_date(created, date_only=True)})
    if updated and updated != created:
        # The arXiv format dates the latest version without numbering it.
        versions.append({"version": None, "date": version_date(updated, date_only=True)})
    authors = []
    for author in body.iterfind(f"{ns}authors/{ns}author"):
        parts = [author.findtext(f"{ns}forenames"), author.findtext(f"{ns}keyname")]
        suffix = author.findtext(f"{ns}suffix")
        name = clean_name(" ".join(p for p in parts if p and p.strip()))
        if suffix and suffix.strip():
            name = f"{name} {clean_name(suffix)}"
        affiliations = [clean_line(a.text) for a in author.iterfind(f"{ns}affiliation")]
        if name:
            authors.append(AuthorRecord(name[:300], "; ".join(a for a in affiliations if a)[:300]))
    categories = _categories(_field(body, ns, "categories"))
    return ArxivEntry(
        arxiv_id=arxiv_id,
        title=clean_line(_field(body, ns, "title"))[:1000],
        abstract=clean_abstract(_field(body, ns, "abstract")),
        authors=authors,
        categories=categories,
        primary_category=categories[0] if categories else "",
        versions=versions,
        published=created,
        updated=updated or created,
        comments=optional(_field(body, ns, "comments"), 5000),
        journal_ref=optional(_field(body, ns, "journal-ref"), 500),
        doi=optional(_field(body, ns, "doi"), 200),
        license=optional(_field(body, ns, "license"), 300),
    )


def _from_raw(body: etree._Element, where: str) -> ArxivEntry:
    # One pass over the children: find() per field costs more on 1,000-record pages.
    fields: dict[str, str] = {}
    versions: list[dict[str, object]] = []
    first = last = None
    latest = None
    width = len(NS_RAW)
    for child in body:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(NS_RAW):
            continue
        if tag == _RAW_VERSION:
            label = (child.get("version") or "").lstrip("v")
            text = None
            for part in child:
                if part.tag == _RAW_DATE:
                    text = part.text or ""
                    break
            dated = raw_version_date(text)
            if not label.isdigit() or dated is None:
                raise FeedFormatError(f"{where}: a version without number or date")
            number = int(label)
            stamp, date = dated
            versions.append({"version": number, "date": date})
            if first is None:
                first = stamp
            last = stamp
            if latest is None or number > latest:
                latest = number
        elif len(child):
            fields[tag[width:]] = "".join(child.itertext())
        else:
            fields[tag[width:]] = child.text or ""
    get = fields.get
    arxiv_id, _ = split_id(get("id", ""), where=where)
    categories = _categories(get("categories"))
    return ArxivEntry(
        arxiv_id=arxiv_id,
        title=clean_line(get("title"))[:1000],
        abstract=clean_abstract(get("abstract")),
        authors=split_author_string(get("authors", "")),
        categories=categories,
        primary_category=categories[0] if categories else "",
        versions=versions,
        latest_version=latest,
        published=first,
        updated=last,
        comments=optional(get("comments"), 5000),
        journal_ref=optional(get("journal-ref"), 500),
        doi=optional(get("doi"), 200),
        license=optional(get("license"), 300),
    )
