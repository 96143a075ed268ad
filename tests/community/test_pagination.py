"""Trending, organization, author and profile pages page through their lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from paperwire.community.models import Upvote
from paperwire.papers.models import Author, Paper
from paperwire.papers.records import AuthorRecord, OrganizationRecord, PaperRecord
from paperwire.papers.store import bump_data_version, upsert_paper

pytestmark = pytest.mark.django_db

TITLE_RE = re.compile(r'<h3 id="t-\d+"><a href="[^"]+">([^<]+)</a></h3>')


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


@pytest.fixture
def many_papers() -> None:
    """Sixty feed papers by one author and one organization, on sixty days."""
    for i in range(60):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=i)
        upsert_paper(
            PaperRecord(
                title=f"Paged Paper {i:02d}",
                abstract="A paper on paging.",
                authors=[AuthorRecord("Page Turner")],
                organization=OrganizationRecord("pagers", "Pagers Inc"),
                feed_date=day,
                submitted_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
                upvotes=i,
            )
        )
    bump_data_version()


def _titles(anon: Client, path: str) -> list[str]:
    response = anon.get(path)
    assert response.status_code == 200, path
    return TITLE_RE.findall(response.content.decode())


def _title(html: str) -> str:
    match = re.search(r"<title>([^<]*)</title>", html)
    assert match, "no title"
    return match.group(1)


def _says_its_page_number(first: str, second: str) -> None:
    """Page 2 is titled as page 1 plus its number; page 1 names no number."""
    assert "page" not in _title(first)
    assert _title(second) == _title(first).replace(" · paperwire", " · page 2 · paperwire")


def _pages(anon: Client, path: str, sep: str = "?") -> None:
    first = _titles(anon, path)
    second = _titles(anon, f"{path}{sep}page=2")
    assert len(first) == 50 and len(second) == 10
    assert not set(first) & set(second)
    assert set(first) | set(second) == {f"Paged Paper {i:02d}" for i in range(60)}
    html = anon.get(path).content.decode()
    assert f'rel="next" class="pager-next" href="{path}{sep}page=2"' in html
    assert 'rel="prev"' not in html
    html = anon.get(f"{path}{sep}page=2").content.decode()
    assert f'rel="prev" class="pager-prev" href="{path}"' in html
    assert 'rel="next"' not in html
    _says_its_page_number(anon.get(path).content.decode(), html)
    assert 'class="heading-page">· page 2</span>' in html
    assert "heading-page" not in anon.get(path).content.decode()
    assert anon.get(f"{path}{sep}page=3").status_code == 404
    for bad in ("0", "-1", "two", "1e3", "99999999999999999999", "²", "1" * 5000):
        response = anon.get(f"{path}{sep}page={bad}")
        assert response.status_code == 400, bad
        assert b"page must be a whole number" in response.content


def test_trending_pages(anon: Client, many_papers) -> None:
    _pages(anon, "/trending")


def test_organization_page_pages(anon: Client, many_papers) -> None:
    _pages(anon, "/orgs/pagers")


def test_author_page_pages(anon: Client, many_papers) -> None:
    _pages(anon, f"/authors/{Author.objects.get(name='Page Turner').pk}")


def test_profile_pages(anon: Client, many_papers, make_member) -> None:
    member = make_member("li")
    for paper in Paper.objects.all():
        Upvote.objects.create(user=member, paper=paper)
    link = re.compile(r'<li><a href="/papers/[^"]+">(Paged Paper \d\d)</a></li>')
    first = link.findall(anon.get("/u/li").content.decode())
    html = anon.get("/u/li?page=2").content.decode()
    second = link.findall(html)
    assert len(first) == 50 and len(second) == 10 and not set(first) & set(second)
    assert 'rel="prev" class="pager-prev" href="/u/li"' in html
    _says_its_page_number(anon.get("/u/li").content.decode(), html)
    assert anon.get("/u/li?page=3").status_code == 404
    assert anon.get("/u/li?page=x").status_code == 400


def test_trending_links_its_feeds(anon: Client, many_papers) -> None:
    html = anon.get("/trending").content.decode()
    rss = '<link rel="alternate" type="application/rss+xml" title="Trending papers (RSS)"'
    atom = '<link rel="alternate" type="application/atom+xml" title="Trending papers (Atom)"'
    assert f'{rss} href="/feeds/trending.rss">' in html
    assert f'{atom} href="/feeds/trending.atom">' in html
    html = anon.get("/orgs/pagers").content.decode()
    org_rss = 'type="application/rss+xml" title="Papers by Pagers Inc (RSS)"'
    assert f'{org_rss} href="/feeds/org/pagers.rss"' in html
    assert 'href="/feeds/org/pagers.atom"' in html
    pk = Author.objects.get(name="Page Turner").pk
    html = anon.get(f"/authors/{pk}").content.decode()
    assert f'href="/feeds/author/{pk}.rss"' in html and f'href="/feeds/author/{pk}.atom"' in html
    for feed in ("/feeds/trending.rss", "/feeds/org/pagers.atom", f"/feeds/author/{pk}.rss"):
        assert anon.get(feed).status_code == 200
