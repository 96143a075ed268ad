"""Harvested text loses its control characters: XML 1.0 lets DEL and the C1 controls
through (and &#x85; as a reference), and arXiv's own data has had them."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_fake import FakeArxiv, Reply, raw_page

from paperwire.ingest.http import PoliteClient
from paperwire.ingest.pipeline import IngestRequest, run_ingest
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def test_controls_legal_in_xml_are_not_stored(arxiv: FakeArxiv, client: PoliteClient) -> None:
    page = raw_page(range(1, 2), None, 1).decode()
    page = page.replace("Generated paper number 1", "Generated\x7f paper\x9b number&#x85;1")
    page = page.replace("Abstract of paper 1,", "Abstract\x80 of&#x9f; paper 1,")
    page = page.replace("Author 1 (Lab 1)", "Author\x7f 1 (Lab\x90 1)")
    arxiv.handler = lambda path, params: Reply(body=page.encode())
    request = IngestRequest(
        source="oai",
        categories=["cs.CL"],
        base_url=arxiv.url + "/oai",
        since=dt.date(2024, 2, 1),
        until=dt.date(2024, 2, 2),
    )
    run_ingest(request, client)
    paper = Paper.objects.get(arxiv_id="2402.00001")
    assert paper.title == "Generated paper number 1"
    assert paper.abstract.startswith("Abstract of paper 1, with $x^{1}$ and")
    assert paper.author_names()[0] == "Author 1"
    assert paper.paper_authors.order_by("position")[0].affiliation == "Lab 1"
    assert not any(ch in paper.abstract for ch in "\x7f\x80\x85\x9b\x9f")
