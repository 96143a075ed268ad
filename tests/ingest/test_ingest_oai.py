"""OAI-PMH harvests: exact records, resumption tokens, deleted records, errors, idempotence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from arxiv_fake import FakeArxiv, FakeClock, Reply, fixture, oai_router, stored

from paperwire.ingest.errors import FeedFormatError, IngestError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.models import Checkpoint
from paperwire.ingest.pipeline import IngestRequest, run_ingest
from paperwire.papers.models import Author, FeedEntry, Paper, PaperAuthor
from paperwire.papers.store import current_data_version

pytestmark = pytest.mark.django_db

SPAN = {"since": dt.date(2024, 1, 1), "until": dt.date(2024, 1, 4)}

PAPER_1 = {
    "public_id": "2401.00001",
    "title": "Sparse Attention for Long-Context Language Models",
    "abstract": "We study sparse attention for long contexts. The cost of attention grows as "
    "$O(n^2)$ in the sequence length $n$; we reduce it to $O(n \\log n)$ with "
    "\\emph{routing}.\n\nA second paragraph reports results on 12 benchmarks.",
    "published_at": "2024-01-01T18:30:00+00:00",
    "updated_at": "2024-01-03T10:00:00+00:00",
    "primary_category": "cs.CL",
    "categories": ["cs.CL", "cs.LG"],
    "versions": [
        {"version": 1, "date": "2024-01-01T18:30:00Z"},
        {"version": 2, "date": "2024-01-03T10:00:00Z"},
    ],
    "comments": "12 pages, 4 figures; v2: fixed Table 3",
    "journal_ref": "Proc. ACL 2024, pp. 1-12",
    "doi": "10.1234/sparse.2024.001",
    "license": "http://creativecommons.org/licenses/by/4.0/",
    "num_authors": 3,
    "authors": [
        (0, "Jane Q. Doe", "MIT, Google DeepMind"),
        (1, "Balázs König", ""),
        (2, "Ana Smith", "ETH Zürich"),
    ],
    # Replaced before this harvest: announced on its first version's day.
    "feed_date": "2024-01-01",
}

PAPER_6 = {
    "public_id": "2401.00006",
    "title": "Calibrated Uncertainty for Text Classifiers",
    "abstract": "Calibration matters.",
    "published_at": "2024-01-03T15:02:11+00:00",
    "updated_at": "2024-01-03T15:02:11+00:00",
    "primary_category": "stat.ML",
    "categories": ["stat.ML", "cs.CL"],
    "versions": [{"version": 1, "date": "2024-01-03T15:02:11Z"}],
    "comments": "Accepted at NeurIPS 2024",
    "journal_ref": "",
    "doi": "",
    "license": "http://creativecommons.org/licenses/by-sa/4.0/",
    "num_authors": 3,
    "authors": [(0, "Ola Nordmann", ""), (1, "Øystein Åsen", ""), (2, "Chen Li", "")],
    # Never replaced: its OAI datestamp is the day it was announced.
    "feed_date": "2024-01-04",
}


def serve_two_pages(arxiv: FakeArxiv) -> None:
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )


def harvest(arxiv: FakeArxiv, client: PoliteClient, **kw: object) -> object:
    req = IngestRequest(
        source="oai", categories=["cs.CL"], base_url=arxiv.url + "/oai", **SPAN, **kw
    )  # type: ignore[arg-type]
    return run_ingest(req, client)


def test_arxivraw_harvest_stores_exact_records(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    serve_two_pages(arxiv)
    stats = harvest(arxiv, client)
    assert stats.summary() == (  # type: ignore[attr-defined]
        "2 pages, 4 records: 2 new, 0 updated, 0 unchanged, 2 added to the feed; "
        "1 deleted records, 1 in other categories skipped"
    )
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00001", "2401.00006"]
    assert stored("2401.00001") == PAPER_1
    assert stored("2401.00006") == PAPER_6
    assert arxiv.requests == [
        (
            "/oai",
            {
                "verb": "ListRecords",
                "metadataPrefix": "arXivRaw",
                "set": "cs",
                "from": "2024-01-01",
                "until": "2024-01-04",
            },
        ),
        ("/oai", {"verb": "ListRecords", "resumptionToken": "6960524|1001"}),
    ]
    assert clock.sleeps == [3.0]
    cp = Checkpoint.objects.get()
    assert (cp.scope, cp.done, cp.pages, cp.records, cp.state) == (
        "oai|arXivRaw|cs|2024-01-01|2024-01-04",
        True,
        2,
        4,
        {},
    )


def test_reharvest_changes_nothing(arxiv: FakeArxiv, client: PoliteClient) -> None:
    serve_two_pages(arxiv)
    harvest(arxiv, client)
    before = {p.arxiv_id: p.modified for p in Paper.objects.all()}
    version = current_data_version()[0]
    counts = (Author.objects.count(), PaperAuthor.objects.count(), FeedEntry.objects.count())
    # A finished span in the past is not fetched again...
    assert harvest(arxiv, client).skipped_scopes == 1  # type: ignore[attr-defined]
    assert len(arxiv.requests) == 2
    # ...and harvesting it again on purpose leaves every row as it was.
    stats = harvest(arxiv, client, restart=True)
    assert stats.store.unchanged == 2 and stats.store.created == stats.store.updated == 0  # type: ignore[attr-defined]
    assert {p.arxiv_id: p.modified for p in Paper.objects.all()} == before
    assert current_data_version()[0] == version
    assert counts == (
        Author.objects.count(),
        PaperAuthor.objects.count(),
        FeedEntry.objects.count(),
    )
    assert stored("2401.00001") == PAPER_1


def test_503_retry_after_between_pages(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    pages = oai_router(fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")})
    busy = [Reply(503, b"Retry later", {"Retry-After": "20"})]

    def handler(path: str, params: dict[str, str]) -> Reply:
        if "resumptionToken" in params and busy:
            return busy.pop()
        return pages(path, params)

    arxiv.handler = handler
    harvest(arxiv, client)
    assert Paper.objects.count() == 2
    assert clock.sleeps == [3.0, 20.0]


def test_no_records_match_is_an_empty_harvest(arxiv: FakeArxiv, client: PoliteClient) -> None:
    arxiv.handler = lambda path, params: Reply(body=fixture("oai_no_records.xml"))
    stats = harvest(arxiv, client)
    assert stats.records == 0 and Paper.objects.count() == 0  # type: ignore[attr-defined]
    assert Checkpoint.objects.get().done


def test_arxiv_format_old_scheme_ids_and_structured_authors(
    arxiv: FakeArxiv, client: PoliteClient
) -> None:
    arxiv.handler = lambda path, params: Reply(body=fixture("oai_arxiv_page.xml"))
    req = IngestRequest(
        source="oai", categories=["hep-th"], base_url=arxiv.url, prefix="arXiv", **SPAN
    )
    run_ingest(req, client)
    assert arxiv.requests[0][1]["set"] == "physics:hep-th"
    assert arxiv.requests[0][1]["metadataPrefix"] == "arXiv"
    assert stored("hep-th/9901001") == {
        "public_id": "hep-th/9901001",
        "title": "Strings in Anti-de Sitter Space",
        "abstract": "We consider strings on $AdS_3\\times S^3$.",
        "published_at": "1999-01-04T00:00:00+00:00",
        "updated_at": "1999-03-15T00:00:00+00:00",
        "primary_category": "hep-th",
        "categories": ["hep-th", "gr-qc"],
        "versions": [{"version": 1, "date": "1999-01-04"}, {"version": 2, "date": "1999-03-15"}],
        "comments": "21 pages, LaTeX",
        "journal_ref": "JHEP 9901:001,1999",
        "doi": "10.1088/1126-6708/1999/01/001",
        "license": "",
        "num_authors": 2,
        "authors": [
            (0, "Juan M. Maldacena", "Harvard University"),
            (1, "Andrew Strominger Jr", "Harvard University; IAS"),
        ],
        "feed_date": "1999-01-04",
    }
    assert stored("2401.00100")["feed_date"] == "2024-01-03"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("oai_truncated.xml", "malformed or truncated XML"),
        ("bomb.xml", "DTD or entity declarations is refused"),
    ],
)
def test_bad_page_keeps_earlier_pages_and_resumes(
    arxiv: FakeArxiv, client: PoliteClient, bad: str, message: str
) -> None:
    arxiv.handler = oai_router(fixture("oai_raw_page1.xml"), {"6960524|1001": fixture(bad)})
    with pytest.raises(FeedFormatError, match=message):
        harvest(arxiv, client)
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00001"]
    cp = Checkpoint.objects.get()
    assert cp.state == {"token": "6960524|1001"} and not cp.done
    assert message in cp.last_error
    # The server is fixed: the run goes on from the saved token, not from the start.
    serve_two_pages(arxiv)
    arxiv.requests.clear()
    harvest(arxiv, client)
    assert arxiv.requests == [("/oai", {"verb": "ListRecords", "resumptionToken": "6960524|1001"})]
    assert stored("2401.00006") == PAPER_6
    assert Checkpoint.objects.get().last_error == ""


def test_expired_token_starts_the_span_again(arxiv: FakeArxiv, client: PoliteClient) -> None:
    Checkpoint.objects.create(
        scope="oai|arXivRaw|cs|2024-01-01|2024-01-04", source="oai", state={"token": "gone"}
    )
    serve_two_pages(arxiv)
    harvest(arxiv, client)
    assert [p.get("resumptionToken") for _, p in arxiv.requests] == [
        "gone",
        None,
        "6960524|1001",
    ]
    assert Paper.objects.count() == 2


def test_other_oai_errors_are_reported(arxiv: FakeArxiv, client: PoliteClient) -> None:
    body = fixture("oai_no_records.xml").replace(b"noRecordsMatch", b"badArgument")
    arxiv.handler = lambda path, params: Reply(body=body)
    with pytest.raises(IngestError, match="OAI-PMH error badArgument: The combination"):
        harvest(arxiv, client)


def test_a_harvested_paper_never_takes_over_a_stored_paper_by_its_title(
    arxiv: FakeArxiv, client: PoliteClient, import_rows: Callable[[list[Any]], Any]
) -> None:
    # Two records with different ids are different papers (as in papers.store.find_paper).
    import_rows(
        [
            {"id": "doc-5", "title": PAPER_1["title"], "summary": "Our own copy."},
            {"title": PAPER_6["title"].upper(), "summary": "Without any id."},
        ]
    )
    serve_two_pages(arxiv)
    stats = harvest(arxiv, client)
    assert stats.store.created == 2  # type: ignore[attr-defined]
    assert Paper.objects.get(public_id="doc-5").abstract == "Our own copy."
    assert Paper.objects.get(title=PAPER_6["title"].upper()).abstract == "Without any id."
    assert stored("2401.00001") == PAPER_1
    assert stored("2401.00006") == PAPER_6
