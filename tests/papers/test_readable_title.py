"""Titles read as text wherever a person reads them (cards, the paper page, search, feeds,
mails, the Markdown view, the CLI), as abstracts do; a formula in a title is drawn as
MathML on the page's heading and on cards. The API, the export and `search --json` serve
the title as stored, as the Hub does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import feedparser
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

TEX = r"Schr\"odinger bridges are na\"ive at 90\% $\times$ 2"
READ = "Schrödinger bridges are naïve at 90% \u00d7 2"
# A formula that stays a formula, and markup an author (or an attacker) typed.
MATH = r"Scaling as $x^2$ for \textbf{<script>alert(1)</script>} models"
MATH_READ = "Scaling as $x^2$ for <script>alert(1)</script> models"
HOST = {"HTTP_HOST": "127.0.0.1"}


def _row(arxiv_id: str, title: str, upvotes: int) -> dict[str, Any]:
    return {
        "id": arxiv_id,
        "title": title,
        "summary": "We study bridges between distributions.",
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "feed_date": "2026-01-05",
        "upvotes": upvotes,
    }


@pytest.fixture
def tex_titles(import_rows: Callable[[list[Any]], Any]) -> None:
    result = import_rows([_row("2401.05555", TEX, 9), _row("2401.05556", MATH, 2)])
    assert result.created == 2 and not result.problems


def _head(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found is not None, pattern
    return found.group(1)


def test_the_property_reads_the_title() -> None:
    assert Paper(title=TEX).readable_title == READ
    assert Paper(title="Plain words").readable_title == "Plain words"
    assert str(Paper(title=TEX).title_html) == READ  # no formula left: text, escaped


def test_it_is_what_search_reads(tex_titles: None) -> None:
    # readable_title reads the title itself rather than search_title, which an unsaved
    # or stale instance lacks; for a stored paper the two agree.
    for paper in Paper.objects.all():
        assert paper.readable_title == paper.searched_title


def test_cards_and_the_paper_page(client: Client, tex_titles: None) -> None:
    from django.utils.html import escape

    card = client.get("/?date=2026-01-05", **HOST).content.decode()
    assert f'<a href="/papers/2401.05555">{READ}</a></h3>' in card
    assert f"Log in to upvote: {READ}" in card and f"Log in to save: {READ}" in card
    page = client.get("/papers/2401.05555").content.decode()
    assert f'<h1 id="paper-title">{READ}</h1>' in page
    assert _head(page, r"<title>(.*?)</title>").startswith(READ + " · ")
    assert _head(page, r'<meta property="og:title" content="([^"]*)">') == READ
    for html in (card, page):
        assert "Schr\\&quot;odinger" not in html and r"90\%" not in html

    # The formula is drawn in the heading and on the card, and stays text where only text
    # can go; the markup in the title is text everywhere.
    math = client.get("/papers/2401.05556").content.decode()
    h1 = _head(math, r'<h1 id="paper-title">(.*?)</h1>')
    assert "<math" in h1 and "<mi>x</mi>" in h1 and "<mn>2</mn>" in h1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h1 and "<script>alert" not in math
    assert _head(math, r"<title>(.*?)</title>").startswith(escape(MATH_READ))
    assert _head(math, r'<meta property="og:title" content="([^"]*)">') == escape(MATH_READ)
    card = client.get("/?date=2026-01-05", **HOST).content.decode()
    assert "<script>alert" not in card
    assert f"Log in to upvote: {escape(MATH_READ)}" in card


def test_search_results(client: Client, tex_titles: None) -> None:
    hits = client.get("/search", {"q": "naive bridges"}).content.decode()
    assert "Schrödinger" in hits and "na\\&quot;ive" not in hits


def test_related_papers(client: Client, tex_titles: None, import_rows: Any) -> None:
    assert import_rows([_row("2401.05557", "Bridges", 1)]).created == 1
    page = client.get("/papers/2401.05557").content.decode()
    assert f'<a href="/papers/2401.05555">{READ}</a>' in page


def test_feeds_carry_the_readable_title(client: Client, tex_titles: None) -> None:
    for url in ("/feeds/daily.rss", "/feeds/daily.atom", "/feeds/search.atom?q=bridges"):
        parsed = feedparser.parse(client.get(url, **HOST).content)
        titles = {e.link.rsplit("/", 1)[-1]: e.title for e in parsed.entries}
        assert titles["2401.05555"] == READ, url
        if "2401.05556" in titles:
            assert titles["2401.05556"] == MATH_READ, url  # text, the formula as TeX


def test_markdown_view(client: Client, tex_titles: None) -> None:
    body = client.get("/papers/2401.05555.md").content.decode()
    assert body.startswith(f"# {READ}\n")


def test_cli_text_reads_it_and_json_keeps_it(tex_titles: None) -> None:
    out = StringIO()
    call_command("search", "bridges", "--keyword-only", stdout=out, stderr=StringIO())
    assert re.search(rf"\[2401\.05555\] \S+  {re.escape(READ)}\r?$", out.getvalue(), re.M)
    out = StringIO()
    call_command("search", "bridges", "--keyword-only", "--json", stdout=out, stderr=StringIO())
    [item] = [i for i in json.loads(out.getvalue()) if i["paper"]["id"] == "2401.05555"]
    assert item["paper"]["title"] == item["title"] == TEX


def test_the_api_and_the_export_keep_the_stored_title(
    client: Client, tex_titles: None, export_jsonl: Callable[[], str]
) -> None:
    assert client.get("/api/papers/2401.05555").json()["title"] == TEX
    daily = client.get("/api/daily_papers", {"date": "2026-01-05"}).json()
    assert TEX in {item["title"] for item in daily}
    rows = {r["id"]: r for r in map(json.loads, export_jsonl().splitlines())}
    assert rows["2401.05555"]["title"] == TEX and rows["2401.05556"]["title"] == MATH


def test_a_members_pages_and_collection_feed(client: Client, tex_titles: None) -> None:
    from django.contrib.auth.models import User

    from paperwire.community import library
    from paperwire.community.models import Upvote

    paper = Paper.objects.get(arxiv_id="2401.05555")
    member = User.objects.create_user("ada", "ada@example.org", "correct horse 42 staple")
    library.set_saved(member, paper, True)
    Upvote.objects.create(user=member, paper=paper)
    shelf = library.create_collection(member, "Bridges", public=True)
    library.add_to_collection(shelf, paper)
    client.force_login(member)
    for url in ("/library", f"/collections/{shelf.pk}", "/u/ada", "/papers/2401.05555"):
        html = client.get(url, **HOST).content.decode()
        assert READ in html, url
        assert r"Schr\&quot;odinger" not in html and r"90\%" not in html, url
    for name in ("feed_collection_rss", "feed_collection_atom"):
        feed = client.get(reverse(name, args=[shelf.pk]), **HOST)
        assert [e.title for e in feedparser.parse(feed.content).entries] == [READ], name
