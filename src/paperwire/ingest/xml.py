"""Parsing untrusted XML: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

from paperwire.ingest.errors import FeedFormatError

MAX_XML_BYTES = 64 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_blank_text=False,
    collect_ids=False,
)


def parse_xml(data: bytes, *, where: str = "response") -> etree._Element:
    """The root element of `data`, or a FeedFormatError that says what is wrong."""
    if len(data) > MAX_XML_BYTES:
        raise FeedFormatError(f"{where}: {len(data):,} bytes is over the {MAX_XML_BYTES:,} cap")
    if not data.strip():
        raise FeedFormatError(f"{where}: empty body where XML was expected")
    # arXiv never sends a DTD; one in a response can only be an entity-expansion trick.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FeedFormatError(f"{where}: XML with a DTD or entity declarations is refused")
    try:
        return etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise FeedFormatError(f"{where}: malformed or truncated XML ({exc})") from None


def text_of(el: etree._Element | None) -> str | None:
    """All text inside an element (tags inside are dropped), or None when it is absent."""
    if el is None:
        return None
    return "".join(el.itertext())
