"""Daily announcement feeds: new and cross-lists enter the feed, replacements update."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_fake import FakeArxiv, Reply, fixture, oai_router, stored

from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import Checkpoint
from paperwire.ingest.pipeline import IngestRequest, run_ingest
from paperwire.papers.models import FeedEntry

pytestmark = pytest.mark.django_db


def test_rss_announcements(arxiv: FakeArxiv, client: PoliteClient) -> None:
    # 2401.00001 v1-v2 is stored already (from OAI-PMH).
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    run_ingest(
        IngestRequest(
            source="oai",
            categories=["cs.CL"],
            since=dt.date(2024, 1, 1),
            until=dt.date(2024, 1, 4),
            base_url=arxiv.url,
        ),
        client,
    )
    arxiv.handler = lambda path, params: Reply(body=fixture("rss_cs_CL.xml"))
    req = IngestRequest(source="rss", categories=["cs.CL"], base_url=arxiv.url + "/rss/")
    stats = run_ingest(req, client)
    assert arxiv.requests[-1] == ("/rss/cs.CL", {})
    assert (stats.store.created, stats.store.updated, stats.store.feed_entries) == (3, 1, 2)

    new = stored("2401.00010")
    assert new == {
        "public_id": "2401.00010",
        "title": "Prompting in the Wild",
        "abstract": "We collect prompts written by users.",
        "published_at": None,
        "updated_at": None,
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.AI"],
        "versions": [{"version": 1, "date": None}],
        "comments": "",
        "journal_ref": "",
        "doi": "",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "num_authors": 2,
        "authors": [(0, "Alice One", ""), (1, "Bob Two", "")],
        "feed_date": "2024-01-04",
    }
    assert stored("2401.00011")["feed_date"] == "2024-01-04"  # a cross-list is announced too

    replaced = stored("2401.00001")
    assert replaced["title"] == "Sparse Attention for Long-Context Language Models, Revised"
    assert replaced["abstract"] == "A revised abstract."
    assert replaced["versions"] == [
        {"version": 1, "date": "2024-01-01T18:30:00Z"},
        {
            "version": 2,
            "date": "2024-01-03T10:00:00Z",
            "title": "Sparse Attention for Long-Context Language Models",
            "abstract": "We study sparse attention for long contexts. The cost of attention "
            "grows as $O(n^2)$ in the sequence length $n$; we reduce it to $O(n \\log n)$ "
            "with \\emph{routing}.\n\nA second paragraph reports results on 12 benchmarks.",
        },
        {"version": 3, "date": None},
    ]
    # The feed gives no affiliations: the stored ones stay. The feed date does not move.
    assert replaced["authors"] == [
        (0, "Jane Q. Doe", "MIT, Google DeepMind"),
        (1, "Balázs König", ""),
        (2, "Ana Smith", "ETH Zürich"),
    ]
    assert replaced["feed_date"] == "2024-01-01"
    assert replaced["comments"] == "12 pages, 4 figures; v2: fixed Table 3"

    # A replacement of a paper never seen is stored, but is not news of the day.
    assert stored("2312.09999")["feed_date"] is None
    on_day = FeedEntry.objects.filter(feed_date=dt.date(2024, 1, 4))
    assert sorted(on_day.values_list("paper__arxiv_id", flat=True)) == [
        "2401.00006",
        "2401.00010",
        "2401.00011",
    ]

    # The same day's feed again: fetched, but nothing is stored twice.
    for _ in range(2):
        again = run_ingest(req, client)
        assert again.records == 0 and again.store.created == again.store.updated == 0
    assert FeedEntry.objects.count() == 4
    assert Checkpoint.objects.get(scope="rss|cs.CL").state == {"announced": "2024-01-04"}


def test_older_version_never_overwrites_newer(arxiv: FakeArxiv, client: PoliteClient) -> None:
    arxiv.handler = lambda path, params: Reply(body=fixture("rss_cs_CL.xml"))
    run_ingest(IngestRequest(source="rss", categories=["cs.CL"], base_url=arxiv.url), client)
    # A late OAI page with v1-v2 of 2401.00001 arrives after the feed announced v3.
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    run_ingest(
        IngestRequest(
            source="oai",
            categories=["cs.CL"],
            since=dt.date(2024, 1, 1),
            until=dt.date(2024, 1, 4),
            base_url=arxiv.url,
        ),
        client,
    )
    paper = stored("2401.00001")
    assert paper["title"] == "Sparse Attention for Long-Context Language Models, Revised"
    assert paper["versions"] == [
        {"version": 1, "date": "2024-01-01T18:30:00Z"},
        {"version": 2, "date": "2024-01-03T10:00:00Z"},
        {"version": 3, "date": None},
    ]
    assert paper["published_at"] == "2024-01-01T18:30:00+00:00"
