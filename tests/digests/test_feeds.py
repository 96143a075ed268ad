"""RSS and Atom feeds: valid, stable ids, right dates, conditional GET, linked from pages."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree as ET

import feedparser
import pytest
from django.test import Client

from paperwire.papers.records import AuthorRecord, OrganizationRecord, PaperRecord
from paperwire.papers.store import bump_data_version, upsert_paper

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "127.0.0.1"}


def _stamp(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


@pytest.fixture
def papers() -> None:
    upsert_paper(
        PaperRecord(
            title="Attention Is All You Need",
            arxiv_id="1706.03762",
            abstract="The dominant sequence transduction models <b>are</b> recurrent.",
            published_at=_stamp("2017-06-12", 0),
            authors=[AuthorRecord("Ashish Vaswani"), AuthorRecord("Noam Shazeer")],
            categories=["cs.CL", "cs.LG"],
            primary_category="cs.CL",
            feed_date=dt.date(2026, 1, 5),
            submitted_at=_stamp("2026-01-05"),
            upvotes=40,
        )
    )
    upsert_paper(
        PaperRecord(
            title="Hunyuan Technical Report",
            abstract="A large model from a company.",
            published_at=_stamp("2025-11-01", 0),
            organization=OrganizationRecord("tencent", "Tencent"),
            feed_date=dt.date(2026, 1, 7),
            submitted_at=_stamp("2026-01-07"),
            upvotes=3,
        )
    )
    bump_data_version()


def _parse(client: Client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url, **HOST)
    assert response.status_code == 200, response.content[:200]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_daily_feed_lists_latest_days_with_absolute_ids(client: Client, papers: None, fmt: str):
    parsed = _parse(client, f"/feeds/daily.{fmt}")
    titles = [e.title for e in parsed.entries]
    assert titles == ["Hunyuan Technical Report", "Attention Is All You Need"]
    first = parsed.entries[1]
    assert first.id == "http://127.0.0.1/papers/1706.03762"
    assert first.link == "http://127.0.0.1/papers/1706.03762"
    assert first.published_parsed[:4] == (2026, 1, 5, 9)


def test_ids_are_stable_across_data_changes(client: Client, papers: None):
    before = [e.id for e in _parse(client, "/feeds/daily.atom").entries]
    upsert_paper(PaperRecord(title="Attention Is All You Need", arxiv_id="1706.03762", upvotes=41))
    bump_data_version()
    after = [e.id for e in _parse(client, "/feeds/daily.atom").entries]
    assert sorted(before) == sorted(after)


def test_html_in_abstracts_is_escaped_not_markup(client: Client, papers: None):
    # What a reader renders is the description's decoded text: markup in it must be
    # escaped there (so the XML holds it escaped twice).
    entries = _parse(client, "/feeds/daily.rss").entries
    attention = next(e for e in entries if e.title == "Attention Is All You Need")
    assert "&lt;b&gt;are&lt;/b&gt;" in attention.description
    assert "<b>" not in attention.description


def test_category_organization_and_author_feeds(client: Client, papers: None):
    assert [e.title for e in _parse(client, "/feeds/category/cs.CL.rss").entries] == [
        "Attention Is All You Need"
    ]
    assert _parse(client, "/feeds/category/cs.CV.rss").entries == []
    assert [e.title for e in _parse(client, "/feeds/org/tencent.atom").entries] == [
        "Hunyuan Technical Report"
    ]
    from paperwire.papers.models import Author

    author = Author.objects.get(name="Noam Shazeer")
    entries = _parse(client, f"/feeds/author/{author.pk}.atom").entries
    assert [e.title for e in entries] == ["Attention Is All You Need"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_each_feed_links_its_own_page_and_has_its_own_id(
    client: Client, papers: None, fmt: str
) -> None:
    # A reader's "visit website" goes to the feed's page, and no two Atom feeds share an
    # id (a reader may merge feeds with the same id).
    from paperwire.papers.models import Author

    author = Author.objects.get(name="Noam Shazeer")
    expected = {
        "/feeds/daily": "http://127.0.0.1/",
        "/feeds/trending": "http://127.0.0.1/trending",
        "/feeds/org/tencent": "http://127.0.0.1/orgs/tencent",
        f"/feeds/author/{author.pk}": f"http://127.0.0.1/authors/{author.pk}",
        "/feeds/category/cs.CL": "http://127.0.0.1/search?q=cat%3Acs.CL",
    }
    ids = set()
    for url, link in expected.items():
        parsed = _parse(client, f"{url}.{fmt}")
        assert parsed.feed.link == link, url
        assert client.get(link.removeprefix("http://127.0.0.1"), **HOST).status_code == 200
        ids.add(parsed.feed.get("id", link))
    assert len(ids) == len(expected)


def test_trending_feed(client: Client, papers: None):
    assert len(_parse(client, "/feeds/trending.rss").entries) == 2


@pytest.mark.parametrize(
    "url", ["/feeds/org/nobody.rss", "/feeds/author/999999.atom", "/feeds/category/<x>.rss"]
)
def test_unknown_subjects_are_404(client: Client, papers: None, url: str):
    assert client.get(url, **HOST).status_code == 404


def test_conditional_get(client: Client, papers: None):
    first = client.get("/feeds/daily.atom", **HOST)
    assert first["ETag"] and first["Last-Modified"]
    again = client.get("/feeds/daily.atom", HTTP_IF_NONE_MATCH=first["ETag"], **HOST)
    assert again.status_code == 304
    since = client.get("/feeds/daily.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"], **HOST)
    assert since.status_code == 304


def test_pages_link_their_feeds(client: Client, papers: None):
    page = client.get("/?date=2026-01-05", **HOST).content.decode()
    assert 'rel="alternate" type="application/rss+xml"' in page
    assert 'href="/feeds/daily.atom"' in page
    paper = client.get("/papers/1706.03762", **HOST).content.decode()
    assert 'href="/feeds/category/cs.CL.atom"' in paper
    org_paper = client.get("/about", **HOST).content.decode()
    assert 'href="/feeds/trending.rss"' in org_paper


def test_search_feed_and_its_link_on_the_search_page(client: Client, papers: None):
    parsed = _parse(client, "/feeds/search.atom?q=attention")
    assert [e.title for e in parsed.entries] == ["Attention Is All You Need"]
    assert _parse(client, "/feeds/search.rss?q=nothing+matches+zzzq").entries == []
    assert client.get("/feeds/search.atom", **HOST).status_code == 404
    # FTS5 syntax in the query is plain text: a valid, parseable feed (checked by _parse).
    _parse(client, '/feeds/search.rss?q="NEAR(*^ AND')
    page = client.get("/search?q=attention", **HOST).content.decode()
    assert 'href="/feeds/search.atom?q=attention"' in page


def test_trending_and_search_pages_show_their_own_feed_links(client: Client, papers: None):
    """Named on the page, not only in <link rel="alternate">: the footer's links are the
    daily feed's."""
    visible = re.compile(r'<ul class="links" aria-label="Feeds">(.*?)</ul>', re.S)
    trending = visible.search(client.get("/trending", **HOST).content.decode())
    assert trending is not None
    assert 'href="/feeds/trending.rss"' in trending[1]
    assert 'href="/feeds/trending.atom"' in trending[1]
    page = client.get("/search?q=attention+%26+org%3Ax", **HOST).content.decode()
    links = visible.search(page)
    assert links is not None
    assert 'href="/feeds/search.rss?q=attention+%26+org%3Ax"' in links[1]
    assert 'href="/feeds/search.atom?q=attention+%26+org%3Ax"' in links[1]
    assert visible.search(client.get("/search", **HOST).content.decode()) is None


def test_every_atom_entry_has_an_author_as_rfc_4287_requires(client: Client, papers: None):
    # A paper known only by its number of authors (as the demo papers are) has no name
    # to give; the feed's own author then stands for it, or the feed is invalid Atom.
    upsert_paper(
        PaperRecord(
            title="Four Anonymous Authors",
            abstract="Nobody named.",
            num_authors=4,
            feed_date=dt.date(2026, 1, 7),
            submitted_at=_stamp("2026-01-07"),
        )
    )
    bump_data_version()
    atom = "{http://www.w3.org/2005/Atom}"
    for url in ("/feeds/daily.atom", "/feeds/trending.atom", "/feeds/search.atom?q=authors"):
        root = ET.fromstring(client.get(url, **HOST).content)
        entries = root.findall(f"{atom}entry")
        assert entries, url
        feed_author = root.find(f"{atom}author/{atom}name")
        for entry in entries:
            name = entry.find(f"{atom}author/{atom}name")
            assert name is not None or feed_author is not None, (
                url,
                entry.findtext(f"{atom}title"),
            )
    assert feed_author is not None and feed_author.text == "paperwire"
