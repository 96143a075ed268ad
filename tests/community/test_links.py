"""Bylines link to author and organization pages, on every page that shows a card."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paperwire.papers.models import Author

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def _byline(html: str, title: str) -> str:
    """The byline paragraph of the card or page whose heading is ``title``."""
    start = html.index(title)
    return re.search(r'<p class="byline">.*?</p>', html[start:], re.S).group(0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "path", ["/trending", "/papers/2401.01234", "/?date=2026-01-05", "/search?q=lovelace"]
)
def test_author_names_link_to_author_pages(anon: Client, small_feed, path: str) -> None:
    ada = Author.objects.get(name="Ada Lovelace")
    alan = Author.objects.get(name="Alan Turing")
    html = anon.get(path).content.decode()
    byline = _byline(html, "Structured State Spaces, Revisited")
    assert f'<a class="author" href="/authors/{ada.pk}">Ada Lovelace</a>' in byline
    assert f'<a class="author" href="/authors/{alan.pk}">Alan Turing</a>' in byline
    assert anon.get(f"/authors/{ada.pk}").status_code == 200


def test_organization_line_links_to_organization_page(anon: Client, small_feed) -> None:
    html = anon.get("/trending").content.decode()
    byline = _byline(html, "Hidden-State Clustering for Verification")
    assert '<a class="org" href="/orgs/tencent">' in byline
    assert '<span class="org-handle">tencent</span> Tencent</a>' in byline


def test_author_count_byline_has_no_link(anon: Client, small_feed) -> None:
    html = anon.get("/trending").content.decode()
    byline = _byline(html, "Esports Replays at Scale")
    assert byline == '<p class="byline"><span class="authors">8 authors</span></p>'
