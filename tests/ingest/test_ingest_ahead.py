"""Parse-ahead: the next OAI-PMH page is parsed in a worker process while the caller
stores the last one, with the same pages, in the same order, and errors where they were."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import io
import logging
import os
import signal
from collections.abc import Iterator

import pytest
from arxiv_fake import FIXTURES, raw_page
from django.db import connection

from paperwire.ingest import ahead
from paperwire.ingest.ahead import (
    PageParser,
    flatten,
    harvest,
    parse_ahead_wanted,
    unflatten,
)
from paperwire.ingest.errors import FeedFormatError, FetchError, IngestError
from paperwire.ingest.oai import OaiPage, parse_oai_page
from paperwire.ingest.pipeline import fewer_checkpoints, fewer_collections

PAGES, PER_PAGE = 4, 30


def _pages(bad: dict[int, bytes] | None = None) -> dict[str | None, bytes]:
    """The list's pages by the token that asks for them (None: the first)."""
    total = PAGES * PER_PAGE
    out: dict[str | None, bytes] = {}
    for i in range(PAGES):
        token = f"tok{i + 1}" if i + 1 < PAGES else None
        out[None if i == 0 else f"tok{i}"] = raw_page(
            range(i * PER_PAGE, (i + 1) * PER_PAGE), token, total
        )
    for i, body in (bad or {}).items():
        out[None if i == 0 else f"tok{i}"] = body
    return out


class Source:
    """fetch() over a dict of pages; records what was asked, fails where told to."""

    def __init__(self, pages: dict[str | None, bytes], fail_at: str | None = None) -> None:
        self.pages, self.fail_at = pages, fail_at
        self.asked: list[str | None] = []

    def __call__(self, token: str | None) -> tuple[bytes, str]:
        self.asked.append(token)
        if token is not None and token == self.fail_at:
            raise FetchError(f"server gone at {token}")
        return self.pages[token], f"page {token}"


def _ids(page: OaiPage) -> list[str]:
    return [e.arxiv_id for e in page.entries]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the worker processes started."""
    pids: list[int] = []
    real = PageParser._start

    def start(self: PageParser) -> object:
        worker = real(self)
        pids.append(worker.pid)
        return worker

    monkeypatch.setattr(PageParser, "_start", start)
    return pids


def test_pages_parsed_ahead_equal_pages_parsed_here(started: list[int]) -> None:
    pages = _pages()
    here = list(harvest(Source(pages), None, parse_ahead=False))
    assert started == []
    there = list(harvest(Source(pages), None, parse_ahead=True))
    assert len(started) == 1 and started[0] != os.getpid()
    assert [p.entries for p in there] == [p.entries for p in here]
    assert [(p.token, p.records, p.complete_size) for p in there] == [
        ("tok1", 30, 120), ("tok2", 30, 120), ("tok3", 30, 120), (None, 30, 120)
    ]  # fmt: skip
    assert _ids(there[3])[-1] == "2402.00119"


def test_the_worker_parses_in_another_process_and_stops_with_the_harvest() -> None:
    pages = _pages()
    with PageParser(enabled=True) as parser:
        result = parser.submit(pages["tok1"], "page 2")
        pid = parser.worker_pid
        assert pid is not None and pid != os.getpid()
        assert _ids(result()) == _ids(parse_oai_page(pages["tok1"]))
    assert parser.worker_pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped


def test_a_list_of_one_page_starts_no_worker(started: list[int]) -> None:
    only = raw_page(range(5), None, 5)
    assert [len(p.entries) for p in harvest(Source({None: only}), None, parse_ahead=True)] == [5]
    assert started == []


def test_resumes_after_a_token() -> None:
    source = Source(_pages())
    got = list(harvest(source, "tok2", parse_ahead=True))
    assert source.asked == ["tok2", "tok3"]
    assert [_ids(p)[0] for p in got] == ["2402.00060", "2402.00090"]


def _drain(pages: Iterator[OaiPage], stored: list[list[str]]) -> None:
    for page in pages:
        stored.append(_ids(page))


@pytest.mark.parametrize("parse_ahead", [True, False])
def test_a_failed_fetch_is_raised_after_the_pages_before_it(parse_ahead: bool) -> None:
    # Page 3 is asked for before page 2 is handed over; its failure still comes after.
    source = Source(_pages(), fail_at="tok2")
    stored: list[list[str]] = []
    with pytest.raises(FetchError, match="server gone at tok2"):
        _drain(harvest(source, None, parse_ahead=parse_ahead), stored)
    assert [ids[0] for ids in stored] == ["2402.00000", "2402.00030"]


@pytest.mark.parametrize("parse_ahead", [True, False])
def test_a_page_that_does_not_parse_fails_as_it_does_here(parse_ahead: bool) -> None:
    source = Source(_pages(bad={2: b"<OAI-PMH><ListRecords><record>"}))
    stored: list[list[str]] = []
    with pytest.raises(FeedFormatError, match=r"page tok2: malformed or truncated XML"):
        _drain(harvest(source, None, parse_ahead=parse_ahead), stored)
    assert len(stored) == 2  # pages 1 and 2 were handed over first


def test_an_oai_error_in_the_worker_keeps_its_class() -> None:
    refused = (
        b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="badArgument">no such set</error></OAI-PMH>'
    )
    with PageParser(enabled=True) as parser, pytest.raises(IngestError) as caught:
        parser.submit(refused, "page 2")()
    assert str(caught.value) == "OAI-PMH error badArgument: no such set"


def test_a_dead_worker_is_replaced_by_parsing_here(caplog: pytest.LogCaptureFixture) -> None:
    pages = _pages()
    with PageParser(enabled=True) as parser:
        assert parser.submit(pages["tok1"], "page 2")().records == PER_PAGE
        pid = parser.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger=ahead.__name__):
            page = parser.submit(pages["tok2"], "page 3")()
        assert _ids(page) == _ids(parse_oai_page(pages["tok2"]))
        assert not parser.enabled and parser.worker_pid is None
        assert "parsing in this process" in caplog.text
        # From now on pages are parsed here, without a worker.
        assert parser.submit(pages["tok3"], "page 4")().token is None
        assert parser.worker_pid is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("on", True), ("1", True), ("off", False), ("no", False), ("auto", None), ("", None)],
)
def test_the_setting(value: str, expected: bool | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "usable_cpus", lambda: 2)
    assert parse_ahead_wanted(value) is (True if expected is None else expected)
    monkeypatch.setattr(ahead, "usable_cpus", lambda: 1)
    assert parse_ahead_wanted(value) is (False if expected is None else expected)


def test_a_bad_setting_says_what_to_write() -> None:
    with pytest.raises(IngestError, match="PAPERWIRE_INGEST_PARSE_AHEAD is 'sometimes'"):
        parse_ahead_wanted("sometimes")


def test_fewer_collections_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with fewer_collections(young=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(young=23_456):
        raise RuntimeError
    assert gc.get_threshold() == before


def _wal_autocheckpoint() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a setting of SQLite's WAL
@pytest.mark.django_db(transaction=True)
def test_fewer_checkpoints_restores_the_setting_even_after_an_error(backend: str) -> None:
    before = _wal_autocheckpoint()
    with fewer_checkpoints(pages=5_000):
        assert _wal_autocheckpoint() == max(5_000, before)
    assert _wal_autocheckpoint() == before
    with pytest.raises(RuntimeError), fewer_checkpoints(pages=6_000):
        raise RuntimeError
    assert _wal_autocheckpoint() == before


@pytest.mark.parametrize("name", ["oai_raw_page1.xml", "oai_raw_page2.xml", "oai_arxiv_page.xml"])
def test_a_page_crosses_the_pipe_unchanged(name: str) -> None:
    page = parse_oai_page((FIXTURES / name).read_bytes())
    assert page.entries
    data = flatten(page)
    assert data is not None
    again = unflatten(data)
    assert again == page
    for before, after in zip(page.entries, again.entries, strict=True):
        assert after.published is None or after.published.tzinfo is before.published.tzinfo
        assert type(after.feed_date) is type(before.feed_date)


def test_a_value_marshal_would_change_is_pickled_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    page = parse_oai_page((FIXTURES / "oai_raw_page1.xml").read_bytes())
    plus_two = dt.timezone(dt.timedelta(hours=2))
    first = page.entries[0]
    assert first.published is not None
    odd = dataclasses.replace(first, published=first.published.astimezone(plus_two))
    page.entries[0] = odd
    assert flatten(page) is None
    # The worker then sends the page itself, which comes back equal, zone and all.
    monkeypatch.setattr(ahead, "parse_oai_page", lambda data, where: page)
    source, sink = io.BytesIO(), io.BytesIO()
    ahead._send(source, (b"<ignored/>", "page 1"))
    source.seek(0)
    ahead.serve(source, sink)
    sink.seek(0)
    ok, value = ahead._receive(sink)
    assert ok and isinstance(value, OaiPage) and value == page
    assert value.entries[0].published == odd.published
    assert value.entries[0].published.utcoffset() == dt.timedelta(hours=2)
