"""What imported Hub data adds is shown on the paper page and the feed card: the GitHub
repository with its stars, the project page, media, keywords and the summary, labelled
as imported; the Markdown says it holds only the abstract."""

from __future__ import annotations

import pytest
from django.test import Client

from hubspec import HUB_DAILY_FILE
from paperwire.papers.transfer import import_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_papers(db: None) -> None:
    assert not import_file(HUB_DAILY_FILE).problems


def test_paper_page_and_card(client: Client, hub_papers: None) -> None:
    for url in ("/papers/2602.23456", "/?date=2026-03-06"):
        html = client.get(url).content.decode()
        assert 'href="https://github.com/example/sparse-probes"' in html, url
        assert "★ 311" in html
        assert 'href="https://sparse-probes.example.org"' in html
        assert 'href="https://cdn.example.org/uploads/demo.mp4"' in html
        assert "<li>dense retrieval</li>" in html
        assert "Summary (imported, by example-summarizer-1):" in html
        assert "Sparse linear probes reveal lexical structure" in html
        assert "Marco Garosi" in html


def test_markdown_by_accept_and_its_abstract_only_note(client: Client, hub_papers: None) -> None:
    md = client.get("/papers/2602.23456", HTTP_ACCEPT="text/markdown")
    assert md["Content-Type"].startswith("text/markdown")
    assert "metadata and abstract only" in md.content.decode()
    assert "Accept" in md["Vary"]
    html = client.get("/papers/2602.23456", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert html["Content-Type"].startswith("text/html")
    # Each form is cached apart: asking again gives the same form back.
    again = client.get("/papers/2602.23456", HTTP_ACCEPT="text/markdown")
    assert again.content == md.content
    versioned = client.get("/papers/2602.23456v1")
    assert versioned.status_code == 302 and versioned["Location"] == "/papers/2602.23456"
