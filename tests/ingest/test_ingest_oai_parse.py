"""The OAI-PMH page parser on its own (no database): what it takes from odd but valid
records, which its one pass over each record's elements must keep exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.ingest.errors import FeedFormatError
from paperwire.ingest.oai import parse_oai_page
from paperwire.papers.records import AuthorRecord

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
)
TAIL = "</ListRecords></OAI-PMH>"
RAW = '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'


def page(*records: str) -> bytes:
    return (HEAD + "".join(records) + TAIL).encode()


def record(body: str, header: str | None = None, stamp: str = "2024-02-02") -> str:
    header = header or (
        f"<header><identifier>oai:arXiv.org:2401.00001</identifier>"
        f"<datestamp>{stamp}</datestamp></header>"
    )
    return f"<record>{header}<metadata>{RAW}{body}</arXivRaw></metadata></record>"


def version(n: int, date: str) -> str:
    comment = "<!-- size follows -->"
    return f'<version version="v{n}">{comment}<date>{date}</date><size>1kb</size></version>'


def test_versions_in_any_zone_are_dated_in_utc_and_the_latest_is_the_highest() -> None:
    body = (
        "<id>2401.00001</id>"
        + version(2, "Sat, 3 Feb 2024 01:30:00 +0200")
        + version(1, "1 Feb 2024 10:00:00 GMT")
        + "<title>A\n   title</title><authors>A. One</authors><abstract>x</abstract>"
    )
    (entry,) = parse_oai_page(page(record(body))).entries
    assert entry.versions == [
        {"version": 2, "date": "2024-02-02T23:30:00Z"},
        {"version": 1, "date": "2024-02-01T10:00:00Z"},
    ]
    assert entry.latest_version == 2
    # First and last as listed (the store sorts the history).
    assert entry.published == dt.datetime(2024, 2, 2, 23, 30, tzinfo=dt.UTC)
    assert entry.updated == dt.datetime(2024, 2, 1, 10, tzinfo=dt.UTC)
    assert entry.title == "A title"


def test_the_last_of_a_repeated_field_and_the_text_of_nested_markup() -> None:
    body = (
        "<id>2401.00001</id>" + version(1, "Thu, 1 Feb 2024 10:00:00 GMT")
        + "<title>First</title><title>Second <i>take</i> here</title>"
        + "<authors>Li {Chen} and Bal\\'azs K\\\"onig (ETH (Z\\\"urich)), X</authors>"
        + "<comments/><abstract>  One\nline.\n  Two.</abstract>"
    )  # fmt: skip
    (entry,) = parse_oai_page(page(record(body))).entries
    assert entry.title == "Second take here"
    assert entry.authors == [
        AuthorRecord("Li Chen", ""),
        AuthorRecord("Balázs König", "ETH (Zürich)"),
        AuthorRecord("X", ""),
    ]
    assert entry.comments is None
    assert entry.abstract == "One line.\n\nTwo."


def test_the_header_gives_its_first_identifier_and_datestamp() -> None:
    header = (
        "<header><!-- x --><datestamp>2024-02-02</datestamp>"
        "<identifier>oai:arXiv.org:2401.00001</identifier>"
        "<identifier>oai:arXiv.org:2401.99999</identifier>"
        "<datestamp>2023-01-01</datestamp></header>"
    )
    deleted = header.replace("<header>", '<header status="deleted">')
    body = "<id>2401.00001</id>" + version(1, "Fri, 2 Feb 2024 09:00:00 GMT")
    parsed = parse_oai_page(page(record(body, header), record(body, deleted)))
    assert [e.feed_date for e in parsed.entries] == [dt.date(2024, 2, 2)]
    assert parsed.deleted == ["2401.00001"]
    assert parsed.records == 2


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<record><metadata/></record>", "a <record> without a <header>"),
        (
            "<record><header><identifier>oai:arXiv.org:2401.00001</identifier></header>"
            "<metadata/></record>",
            "record 'oai:arXiv.org:2401.00001' has no metadata",
        ),
        (
            record("<id>2401.00001</id>" + version(1, "Thu, 31 Feb 2024 10:00:00 GMT")),
            "'Thu, 31 Feb 2024 10:00:00 GMT' is not a date",
        ),
        (
            record(
                '<id>2401.00001</id><version version="vx"><date>1 Feb 2024 10:00:00 GMT'
                "</date></version>"
            ),
            "a version without number or date",
        ),
        (
            record('<id>2401.00001</id><version version="v1"><size>1kb</size></version>'),
            "a version without number or date",
        ),
    ],
)
def test_bad_records_are_named(xml: str, message: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_oai_page(page(xml), where="test page")
    assert message in str(caught.value)
