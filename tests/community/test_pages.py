"""Organization, author and trending pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from paperwire.community.models import OrganizationMember
from paperwire.papers.models import Author, FeedEntry, Organization, Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def test_organization_page(anon: Client, small_feed, make_member) -> None:
    org = Organization.objects.get(name="tencent")
    OrganizationMember.objects.create(organization=org, user=make_member("li"), role="researcher")
    html = anon.get("/orgs/tencent").content.decode()
    assert "Tencent" in html and "Hidden-State Clustering for Verification" in html
    assert '<a href="/u/li">li</a> — researcher' in html
    # Its own feeds, in sight (the footer's are the daily feed's), and they answer.
    main = html[html.index("<main") :]
    for kind in ("rss", "atom"):
        assert f'<a href="/feeds/org/tencent.{kind}" type="application/{kind}+xml">' in main
        assert anon.get(f"/feeds/org/tencent.{kind}").status_code == 200
    missing = anon.get("/orgs/nobody")
    assert missing.status_code == 404 and "No organization has this handle." in missing.text


def test_an_organization_is_found_in_any_case(anon: Client, small_feed) -> None:
    """As search's org:tencent finds it: /orgs/Tencent leads to the one address."""
    for path, to in (("/orgs/Tencent", "/orgs/tencent"), ("/orgs/TENCENT?page=2", None)):
        moved = anon.get(path)
        assert moved.status_code == 301
        assert moved["Location"] == (to or "/orgs/tencent?page=2")
    feed = anon.get("/feeds/org/TenCent.atom")
    assert feed.status_code == 200 and '<link href="http://127.0.0.1/orgs/tencent"' in feed.text
    # Handles that differ only in case: each exact one is found, any other is ambiguous.
    Organization.objects.create(name="Lab", fullname="Lab Upper")
    Organization.objects.create(name="lab", fullname="Lab Lower")
    assert "Lab Upper" in anon.get("/orgs/Lab").text
    assert "Lab Lower" in anon.get("/orgs/lab").text
    assert anon.get("/orgs/LAB").status_code == 404
    assert anon.get("/feeds/org/LAB.rss").status_code == 404


def test_author_page(anon: Client, small_feed) -> None:
    author = Author.objects.get(name="Alan Turing")
    html = anon.get(f"/authors/{author.pk}").content.decode()
    assert "Alan Turing" in html and "Structured State Spaces, Revisited" in html
    main = html[html.index("<main") :]
    for kind in ("rss", "atom"):
        feed = f"/feeds/author/{author.pk}.{kind}"
        assert f'<a href="{feed}" type="application/{kind}+xml">' in main
        assert anon.get(feed).status_code == 200
    # Words after the id, right or wrong, lead to the one address the site links to.
    for words in ("alan-turing", "ada-lovelace", "x"):
        moved = anon.get(f"/authors/{author.pk}-{words}")
        assert moved.status_code == 301 and moved["Location"] == f"/authors/{author.pk}"
    paged = anon.get(f"/authors/{author.pk}-wrong?page=2")
    assert paged.status_code == 301 and paged["Location"] == f"/authors/{author.pk}?page=2"
    assert anon.get("/authors/99999").status_code == 404
    assert anon.get("/authors/99999-alan-turing").status_code == 404


def test_trending_orders_by_decayed_upvotes(anon: Client, small_feed) -> None:
    now = timezone.now()
    fresh = Paper.objects.create(public_id="pwfresh", title="Fresh and Liked", title_key="fresh")
    FeedEntry.objects.create(paper=fresh, feed_date=now.date(), submitted_at=now, upvotes=2)
    old = Paper.objects.create(public_id="pwold", title="Old and Loved", title_key="old")
    FeedEntry.objects.create(
        paper=old, feed_date=now.date(), submitted_at=now - dt.timedelta(days=30), upvotes=500
    )
    html = anon.get("/trending").content.decode()
    assert html.index("Fresh and Liked") < html.index("Old and Loved")
    assert "gravity 1.8" in html
    api = anon.get("/api/daily_papers?sort=trending&limit=2").json()
    assert api[0]["paper"]["id"] == "pwfresh"


def test_header_links(anon: Client, member_client: Client, small_feed) -> None:
    html = anon.get("/").content.decode()
    assert 'href="/login"' in html and 'href="/signup"' in html and 'href="/trending"' in html
    mine = member_client.get("/").content.decode()
    assert 'href="/u/ada"' in mine and "Log out" in mine
    assert User.objects.filter(username="ada").exists()
