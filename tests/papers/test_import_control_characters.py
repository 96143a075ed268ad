"""Imported text loses its control characters at the door: they break feeds (XML 1.0),
PostgreSQL (NUL) and mail, and no reader can see them. Tab, newline and carriage return
are text and stay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

ROW = {
    "id": "2401.04242",
    "title": "A title\u000bwith a vertical tab\x01 and\x00 NUL",
    "summary": "First\x1b paragraph\x7f with\x85 controls.\n\nSecond\tparagraph.\r\nEnd\ud800.",
    "authors": [{"name": "Ada\x00 Lovelace\x9b", "affiliation": "Analytical\x0c Engines"}],
    "organization": {"name": "lab\x01", "fullname": "The\x00 Lab"},
    "categories": ["cs.CL\x00", "\x01"],
    "comments": "12 pages\x07",
    "versions": [{"version": 1, "date": "2024-01-01\x00", "note\x00": "v1\x01"}],
    "submitted_by": "ada\x00",
    "feed_date": "2026-01-05",
}


def test_control_characters_are_removed_from_every_imported_text(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    result = import_rows([ROW])
    assert result.created == 1 and not result.problems
    paper = Paper.objects.select_related("organization", "feed_entry").get(arxiv_id="2401.04242")
    assert paper.title == "A title with a vertical tab and NUL"
    assert paper.abstract == "First paragraph with  controls.\n\nSecond\tparagraph.\r\nEnd."
    assert paper.author_names() == ["Ada Lovelace"]
    assert paper.paper_authors.get().affiliation == "Analytical  Engines"
    assert (paper.organization.name, paper.organization.fullname) == ("lab", "The Lab")
    assert paper.categories == ["cs.CL"]
    assert paper.comments == "12 pages"
    assert paper.versions == [{"version": 1, "date": "2024-01-01", "note": "v1"}]
    assert paper.feed_entry.submitter_name == "ada"


def test_a_title_of_only_control_characters_is_an_empty_title(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    result = import_rows([{"title": "\x00\x01\x02", "summary": "x"}])
    assert [p.message for p in result.problems] == ["'title' is empty"]
    assert not Paper.objects.exists()


def test_the_imported_paper_renders_everywhere(
    import_rows: Callable[[list[Any]], Any], client: Client
) -> None:
    import_rows([ROW])
    for url in ("/papers/2401.04242", "/feeds/daily.rss", "/feeds/daily.atom", "/?date=2026-01-05"):
        response = client.get(url, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, url
        assert b"A title with a vertical tab and NUL" in response.content, url
