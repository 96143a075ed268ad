"""A card's and a search hit's line of facts has no stray separator when a paper has no
publication date, and the Markdown view counts one author as one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db
HOST = {"HTTP_HOST": "127.0.0.1"}


@pytest.fixture
def undated(import_rows: Callable[[list[Any]], Any]) -> Paper:
    row = {
        "id": "2401.07777",
        "title": "Undated bridges",
        "summary": "We study bridges without a date.",
        "categories": ["cs.LG"],
        "feed_date": "2026-01-05",
        "upvotes": 3,
    }
    assert import_rows([row]).created == 1
    paper = Paper.objects.get(arxiv_id="2401.07777")
    Paper.objects.filter(pk=paper.pk).update(published_at=None, num_authors=1)
    paper.refresh_from_db()
    return paper


def _metas(html: str) -> list[str]:
    lines = re.findall(r'<div class="meta">(.*?)</div>', html, re.S)
    assert lines, "no meta line on the page"
    return [re.sub(r"<[^>]+>", "", line).strip() for line in lines]


def test_no_leading_separator_without_a_date(undated: Paper) -> None:
    client = Client(**HOST)
    card = _metas(client.get("/?date=2026-01-05").content.decode())
    hits = _metas(client.get("/search?q=undated").content.decode())
    for line in card + hits:
        assert not line.startswith("·"), line
        assert "· ·" not in line, line
    assert card[0].startswith("0 comments · ")
    assert hits[0].startswith("▲ 3 · cs.LG · ")


def test_markdown_counts_one_author(undated: Paper) -> None:
    text = Client(**HOST).get(f"/papers/{undated.arxiv_id}.md").content.decode()
    assert "- Authors: 1 author\n" in text
