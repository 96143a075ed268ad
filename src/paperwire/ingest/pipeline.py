"""The ingest pipeline: fetch a page → normalize → store it together with its checkpoint.

Each page's papers and the checkpoint that points past that page are committed in one
transaction: a run killed at any moment resumes at the first page not stored.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from paperwire.envparse import is_http_url
from paperwire.ingest import atom, oai, rss
from paperwire.ingest.ahead import harvest, parse_ahead_wanted
from paperwire.ingest.categories import oai_set
from paperwire.ingest.errors import BadResumptionToken, IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import Checkpoint
from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.options import SOURCES
from paperwire.ingest.upsert import StoreStats, store_entries
from paperwire.papers.backends import database
from paperwire.papers.store import bump_data_version

log = logging.getLogger(__name__)

DEFAULT_URLS = {
    "api": "https://export.arxiv.org/api/query",
    "oai": "https://oaipmh.arxiv.org/oai",
    "rss": "https://rss.arxiv.org/rss/",
}
SETTING_NAMES = {
    "api": "PAPERWIRE_ARXIV_API_URL",
    "oai": "PAPERWIRE_ARXIV_OAI_URL",
    "rss": "PAPERWIRE_ARXIV_RSS_URL",
}


def base_url_for(source: str) -> str:
    return str(getattr(settings, SETTING_NAMES[source], "") or DEFAULT_URLS[source])


@dataclass
class IngestRequest:
    source: str
    categories: list[str]
    since: dt.date | None = None
    until: dt.date | None = None
    base_url: str | None = None
    prefix: str = "arXivRaw"
    page_size: int = 200
    restart: bool = False
    # Parse the next OAI-PMH page in a second process while storing one (None: the
    # setting PAPERWIRE_INGEST_PARSE_AHEAD decides).
    parse_ahead: bool | None = None

    def check(self, today: dt.date) -> None:
        if self.source not in SOURCES:
            raise IngestError(f"unknown source {self.source!r}: use one of {', '.join(SOURCES)}")
        if self.base_url is not None and not is_http_url(self.base_url):
            raise IngestError(
                f"--base-url {self.base_url!r} is not an http:// or https:// URL: "
                f"use e.g. {DEFAULT_URLS[self.source]}"
            )
        if self.prefix not in oai.PREFIXES:
            raise IngestError(f"unknown metadata prefix {self.prefix!r}: use arXivRaw or arXiv")
        if self.source != "rss" and self.since is None:
            raise IngestError(f"--since is required with --source {self.source}")
        if self.until is None:
            self.until = today
        if self.since and self.since > self.until:
            raise IngestError(f"--since {self.since} is after --until {self.until}")
        if not 1 <= self.page_size <= 2000:
            raise IngestError("--page-size must be between 1 and 2000")


@dataclass
class IngestStats:
    pages: int = 0
    records: int = 0
    deleted: int = 0
    other_categories: int = 0
    skipped_scopes: int = 0
    store: StoreStats = field(default_factory=StoreStats)

    def summary(self) -> str:
        s = self.store
        return (
            f"{self.pages} pages, {self.records} records: {s.created} new, {s.updated} updated, "
            f"{s.unchanged} unchanged, {s.feed_entries} added to the feed; "
            f"{self.deleted} deleted records, {self.other_categories} in other categories skipped"
        )


# progress(scope, records_done, records_total_or_None)
Progress = Callable[[str, int, int | None], None]


def _noop(scope: str, done: int, total: int | None) -> None:
    return None


@dataclass
class Page:
    entries: list[ArxivEntry]
    next_state: dict[str, object] | None  # None: the scope is complete
    records: int
    deleted: int = 0
    total: int | None = None
    done_state: dict[str, object] | None = None  # kept once the scope is complete


def run_ingest(
    req: IngestRequest,
    client: PoliteClient,
    *,
    progress: Progress = _noop,
    today: dt.date | None = None,
) -> IngestStats:
    today = today or dt.datetime.now(dt.UTC).date()
    req.check(today)
    stats = IngestStats()
    base_url = req.base_url or base_url_for(req.source)
    with fewer_collections(), fewer_checkpoints():
        for scope, final, pages in _scopes(req, client, base_url):
            _run_scope(scope, req, final, pages, stats, progress)
    return stats


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Run the garbage collector's young generation every `young` allocations instead of
    every 700. A page of 1,000 records allocates hundreds of thousands of objects that
    all live until it is stored, so each of the frequent collections walks them in vain
    (measured: 5 % of a harvest's time). Restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def fewer_checkpoints(pages: int = 16_384) -> AbstractContextManager[None]:
    """Let SQLite's write-ahead log grow to `pages` pages (64 MB) during a harvest
    instead of checkpointing at every commit (papers/backends/sqlite.py says why);
    nothing on PostgreSQL."""
    return database(connection).fewer_checkpoints(pages)


Pages = Callable[[dict[str, object]], Iterator[Page]]


def _scopes(
    req: IngestRequest, client: PoliteClient, base_url: str
) -> Iterator[tuple[str, bool, Pages]]:
    assert req.until is not None
    since, until = req.since, req.until
    # A span ending before today will not change any more; one reaching today can.
    final = until < dt.datetime.now(dt.UTC).date()
    wanted = set(req.categories)
    if req.source == "api":
        assert since is not None
        cats = ",".join(req.categories)

        def api_pages(state: dict[str, object]) -> Iterator[Page]:
            start = int(str(state.get("start", 0)))
            for page, nxt in atom.iter_api_pages(
                client,
                base_url,
                req.categories,
                since,
                until,
                start=start,
                page_size=req.page_size,
            ):
                yield Page(
                    page.entries,
                    None if nxt is None else {"start": nxt},
                    len(page.entries),
                    total=page.total,
                )

        yield f"api|{cats}|{since}|{until}", final, api_pages
    elif req.source == "oai":
        assert since is not None
        ahead = req.parse_ahead
        if ahead is None:
            ahead = parse_ahead_wanted(settings.PAPERWIRE_INGEST_PARSE_AHEAD)
        sets: list[str] = []
        for cat in req.categories:
            if oai_set(cat) not in sets:
                sets.append(oai_set(cat))
        for set_spec in sets:

            def oai_pages(state: dict[str, object], set_spec: str = set_spec) -> Iterator[Page]:
                def fetch(token: str | None) -> tuple[bytes, str]:
                    params = oai.list_records_params(req.prefix, set_spec, since, until, token)
                    return oai.fetch_oai_body(client, base_url, params)

                start = state.get("token")
                for page in harvest(fetch, str(start) if start else None, parse_ahead=ahead):
                    yield Page(
                        [e for e in page.entries if wanted.intersection(e.categories)],
                        {"token": page.token} if page.token else None,
                        page.records,
                        deleted=len(page.deleted),
                        total=page.complete_size,
                    )

            yield f"oai|{req.prefix}|{set_spec}|{since}|{until}", final, oai_pages
    else:
        for cat in req.categories:

            def rss_pages(state: dict[str, object], cat: str = cat) -> Iterator[Page]:
                feed = rss.fetch_rss(client, base_url, cat)
                if feed.announced and state.get("announced") == feed.announced.isoformat():
                    log.info("RSS %s of %s already stored", cat, feed.announced)
                    yield Page([], None, 0, done_state=dict(state))
                    return
                done: dict[str, object] | None = (
                    {"announced": feed.announced.isoformat()} if feed.announced else None
                )
                yield Page(feed.entries, None, len(feed.entries), done_state=done)

            yield f"rss|{cat}", False, rss_pages


def _run_scope(
    scope: str,
    req: IngestRequest,
    final: bool,
    pages: Pages,
    stats: IngestStats,
    progress: Progress,
) -> None:
    cp, _ = Checkpoint.objects.get_or_create(scope=scope, defaults={"source": req.source})
    if cp.done and final and not req.restart:
        log.info("%s is complete; nothing to do (use --restart to harvest it again)", scope)
        stats.skipped_scopes += 1
        progress(scope, cp.records, cp.records)
        return
    # RSS keeps the day it stored last, so the same day's feed is not stored twice.
    if req.restart or (cp.done and req.source != "rss"):
        cp.state, cp.done, cp.pages, cp.records = {}, False, 0, 0
    resumed_from_token = bool(cp.state.get("token"))
    try:
        while True:
            try:
                for page in pages(dict(cp.state)):
                    _store_page(cp, page, req, stats)
                    progress(scope, cp.records, page.total)
                break
            except BadResumptionToken:
                if not resumed_from_token:
                    raise
                # Saved tokens expire; start the list again (the upsert makes repeats harmless).
                log.warning("%s: saved resumption token expired; harvesting the span again", scope)
                resumed_from_token = False
                cp.state, cp.pages, cp.records = {}, 0, 0
    except IngestError as exc:
        Checkpoint.objects.filter(pk=cp.pk).update(last_error=str(exc)[:2000])
        raise


def _store_page(cp: Checkpoint, page: Page, req: IngestRequest, stats: IngestStats) -> None:
    entries = page.entries
    with transaction.atomic():
        result = store_entries(entries)
        cp.state = page.next_state or page.done_state or {}
        cp.done = page.next_state is None
        cp.pages += 1
        cp.records += page.records
        cp.total = page.total
        cp.last_error = ""
        cp.save()
        if result.created or result.updated or result.feed_entries:
            bump_data_version()
    stats.pages += 1
    stats.records += page.records
    stats.deleted += page.deleted
    if req.source == "oai":
        stats.other_categories += page.records - page.deleted - len(entries)
    stats.store.add(result)
