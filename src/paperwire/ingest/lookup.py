"""Fetching single papers by arXiv id, for submissions of papers the site has not seen.

One request to the arXiv API (`id_list`), answered in seconds or not at all: a web
request waits for it, so it retries once and times out quickly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from paperwire.ingest.atom import parse_atom_page
from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.upsert import store_entries
from paperwire.papers.store import bump_data_version

LOOKUP_TIMEOUT = 15.0


def fetch_arxiv_papers(arxiv_ids: list[str], *, client: PoliteClient | None = None) -> int:
    """Store the papers of these arXiv ids (without putting them in the feed: whoever
    asked decides that). Returns how many arXiv knew. Raises ConnectionError, with
    the reason, when arXiv cannot be reached or answers with an error."""
    if not arxiv_ids:
        return 0
    try:
        return _fetch(arxiv_ids, client)
    except IngestError as exc:
        raise ConnectionError(str(exc)) from exc


def _fetch(arxiv_ids: list[str], client: PoliteClient | None) -> int:
    own = client is None
    client = client or PoliteClient(retries=1, backoff=1.0, timeout=LOOKUP_TIMEOUT)
    try:
        resp = client.get(
            settings.PAPERWIRE_ARXIV_API_URL,
            {"id_list": ",".join(arxiv_ids), "max_results": str(len(arxiv_ids))},
            ok=frozenset({400}),
        )
    finally:
        if own:
            client.close()
    page = parse_atom_page(resp.body, where="arXiv API id_list lookup")
    if resp.status == 400:
        raise IngestError("arXiv API answered HTTP 400 without an error message")
    wanted = set(arxiv_ids)
    entries = [e for e in page.entries if e.arxiv_id in wanted]
    for entry in entries:
        entry.feed_date = None  # a looked-up paper is stored, not announced
    if not entries:
        return 0
    with transaction.atomic():
        stats = store_entries(entries)
    if stats.created or stats.updated:
        bump_data_version()
    return len(entries)
