"""The arXiv API source: paging, exact records, error entries, empty pages."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_fake import FakeArxiv, FakeClock, Reply, fixture, stored

from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import Checkpoint
from paperwire.ingest.pipeline import IngestRequest, IngestStats, run_ingest
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def pages(second: list[bytes]) -> object:
    def handle(path: str, params: dict[str, str]) -> Reply:
        if params["start"] == "0":
            return Reply(body=fixture("api_page1.xml"))
        return Reply(body=second.pop(0) if len(second) > 1 else second[0])

    return handle


def harvest(arxiv: FakeArxiv, client: PoliteClient) -> IngestStats:
    req = IngestRequest(
        source="api",
        categories=["cs.CL", "cs.LG"],
        since=dt.date(2024, 1, 1),
        until=dt.date(2024, 1, 4),
        base_url=arxiv.url + "/api/query",
        page_size=2,
    )
    return run_ingest(req, client)


def test_api_paging_and_exact_records(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    arxiv.handler = pages([fixture("api_page2.xml")])  # type: ignore[assignment]
    stats = harvest(arxiv, client)
    assert stats.store.created == 3 and stats.pages == 2
    assert [p["start"] for _, p in arxiv.requests] == ["0", "2"]
    assert arxiv.requests[0][1] == {
        "search_query": "(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202401010000 TO 202401042359]",
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
        "start": "0",
        "max_results": "2",
    }
    assert clock.sleeps == [3.0]
    assert stored("2401.00001") == {
        "public_id": "2401.00001",
        "title": "Sparse Attention for Long-Context Language Models",
        "abstract": "We study sparse attention for long contexts. The cost of attention grows "
        "as $O(n^2)$ in the sequence length $n$; we reduce it to $O(n \\log n)$ with "
        "\\emph{routing}.\n\nA second paragraph reports results on 12 benchmarks.",
        "published_at": "2024-01-01T18:30:00+00:00",
        "updated_at": "2024-01-03T10:00:00+00:00",
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.LG"],  # the ACM class I.2.7 is not a category
        "versions": [
            {"version": 1, "date": "2024-01-01T18:30:00Z"},
            {"version": 2, "date": "2024-01-03T10:00:00Z"},
        ],
        "comments": "12 pages, 4 figures; v2: fixed Table 3",
        "journal_ref": "Proc. ACL 2024, pp. 1-12",
        "doi": "10.1234/sparse.2024.001",
        "license": "",
        "num_authors": 3,
        "authors": [
            (0, "Jane Q. Doe", "MIT; Google DeepMind"),
            (1, "Balázs König", ""),
            (2, "Ana Smith", "ETH Zürich"),
        ],
        "feed_date": "2024-01-01",
    }
    many = stored("2401.00002")
    assert many["num_authors"] == 12 and many["authors"][-1] == (11, "Author Twelve", "")  # type: ignore[index]
    assert (many["primary_category"], many["categories"]) == ("stat.ML", ["stat.ML", "cs.LG"])
    assert stored("2401.00003")["authors"] == [(0, "Zoë Ng", "")]


def test_empty_page_inside_results_is_retried(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    arxiv.handler = pages([fixture("api_empty.xml"), fixture("api_page2.xml")])  # type: ignore[assignment]
    harvest(arxiv, client)
    assert [p["start"] for _, p in arxiv.requests] == ["0", "2", "2"]
    assert Paper.objects.count() == 3
    assert clock.sleeps == [3.0, 3.0]


def test_persistent_empty_pages_stop_with_progress_kept(
    arxiv: FakeArxiv, client: PoliteClient
) -> None:
    arxiv.handler = pages([fixture("api_empty.xml")])  # type: ignore[assignment]
    with pytest.raises(IngestError) as err:
        harvest(arxiv, client)
    # `paperwire ingest` adds "(stored progress is kept; run again to resume)": said once.
    assert str(err.value) == (
        "arXiv API kept returning empty pages at start=2 of 3 results (it does so when busy)"
    )
    assert [p["start"] for _, p in arxiv.requests] == ["0", "2", "2", "2", "2"]
    assert Paper.objects.count() == 2
    assert Checkpoint.objects.get().state == {"start": 2}
    # Run again once the API behaves: it asks for start=2 only.
    arxiv.handler = pages([fixture("api_page2.xml")])  # type: ignore[assignment]
    arxiv.requests.clear()
    harvest(arxiv, client)
    assert [p["start"] for _, p in arxiv.requests] == ["2"]
    assert Paper.objects.count() == 3


def test_error_entry_is_reported(arxiv: FakeArxiv, client: PoliteClient) -> None:
    arxiv.handler = lambda path, params: Reply(400, fixture("api_error.xml"))
    with pytest.raises(IngestError, match=r"arXiv API error: incorrect id format for 1234\.12345"):
        harvest(arxiv, client)
    assert Paper.objects.count() == 0
