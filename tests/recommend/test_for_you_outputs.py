"""For you beyond its page: a personal feed at a signed URL (retired by a password
change), and a "Picked for you" section in the digest of a member who asks for it."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django.utils import timezone

from paperwire.community import library
from paperwire.digests.models import DigestMessage, Subscription
from paperwire.digests.outbox import RunSummary, compose_period
from paperwire.papers import feed
from paperwire.recommend.feeds import SALT, _fingerprint, feed_token, user_of_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def fan(topic_feed: Any) -> User:
    user = User.objects.create_user("fan", "fan@example.org", "correct horse battery staple 42")
    for paper in topic_feed["speech"][:3]:
        library.set_saved(user, paper, True)
    return user


def test_the_personal_feed_is_signed_and_ranked(fan: User, topic_feed: Any) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    url = f"/feeds/for-you/{feed_token(fan)}.atom"
    parsed = feedparser.parse(client.get(url).content)
    assert not parsed.bozo and parsed.feed.title == "For you"
    assert parsed.feed.author == "paperwire"  # Atom needs an author for every entry
    speech = {p.title for p in topic_feed["speech"][3:]}
    assert {e.title for e in parsed.entries[:3]} == speech
    assert "Why: like “" in parsed.entries[0].summary
    rss = client.get(f"/feeds/for-you/{feed_token(fan)}.rss")
    assert rss.status_code == 200 and not feedparser.parse(rss.content).bozo
    assert client.get(url.replace(".atom", "x.atom")).status_code == 404
    fan.set_password("another long password 99")
    fan.save()
    assert client.get(url).status_code == 404, "a new password retires old feed URLs"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_personal_feed_carries_why_and_the_abstract_as_text(
    fan: User, topic_feed: Any, fmt: str
) -> None:
    """Readers render an item's description as HTML: an abstract's "D<n" or <script>
    must read as written, and the why is a paragraph of its own."""
    import lxml.etree
    import lxml.html

    from paperwire.papers.models import Paper

    hostile = "Bounds where D<n hold; <script>alert(1)</script> end."
    Paper.objects.filter(pk__in=[p.pk for p in topic_feed["speech"][3:]]).update(abstract=hostile)
    response = Client(HTTP_HOST="127.0.0.1").get(f"/feeds/for-you/{feed_token(fan)}.{fmt}")
    root = lxml.etree.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    if fmt == "rss":
        items = [i.findtext("description") or "" for i in root.iter("item")]
    else:
        entries = list(root.iter(f"{atom}entry"))
        # RFC 4287: every entry has exactly one <updated>.
        assert entries and all(len(e.findall(f"{atom}updated")) == 1 for e in entries)
        items = [e.findtext(f"{atom}summary") or "" for e in entries]
    shown = [lxml.html.fragment_fromstring(html, create_parent="div") for html in items[:3]]
    for item in shown:
        assert not list(item.iter("script"))
        paragraphs = [p.text_content() for p in item.iter("p")]
        assert paragraphs[0].startswith("Why: like “"), paragraphs
        assert paragraphs[1] == hostile


def test_the_page_links_the_feed(fan: User) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(fan)
    page = client.get("/for-you").content.decode()
    tokens = re.findall(r"/feeds/for-you/([^\"/]+)\.atom", page)
    assert tokens, "the page links no personal feed"
    assert {user_of_token(t) for t in tokens} == {fan}
    # One URL a reader: the token has no timestamp, so a later visit links the same feed.
    assert set(tokens) == {feed_token(fan)}


def test_feed_urls_handed_out_with_a_timestamp_keep_working(fan: User) -> None:
    old = signing.dumps({"u": fan.pk, "k": _fingerprint(fan)}, salt=SALT, compress=True)
    assert old != feed_token(fan)
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.get(f"/feeds/for-you/{old}.atom")
    assert response.status_code == 200 and not feedparser.parse(response.content).bozo
    forged = signing.dumps({"u": fan.pk, "k": _fingerprint(fan)}, salt="another salt")
    assert client.get(f"/feeds/for-you/{forged}.atom").status_code == 404
    for junk in ("x", "a:b", "a:b:c", "::", old.replace(":", "::", 1)):
        assert client.get(f"/feeds/for-you/{junk}.atom").status_code == 404, junk


def test_a_digest_picks_for_members_who_ask(fan: User, topic_feed: Any) -> None:
    Subscription.objects.create(
        email=fan.email, user=fan, status=Subscription.ACTIVE, frequency="weekly", for_you=True
    )
    Subscription.objects.create(
        email="plain@example.org", status=Subscription.ACTIVE, frequency="weekly"
    )
    period = feed.week_of(timezone.now().date())
    compose_period("weekly", period, summary=RunSummary())
    mine = DigestMessage.objects.get(to_email=fan.email)
    assert "Picked for you" in mine.text_body and "Picked for you" in mine.html_body
    assert "Why: like “" in mine.text_body
    shown = [p for p in topic_feed["speech"][3:] if p.title in mine.text_body]
    assert shown, "the other speech papers are picked"
    plain = DigestMessage.objects.get(to_email="plain@example.org")
    assert "Picked for you" not in plain.text_body


def test_reasons_name_the_liked_paper_by_its_readable_title(fan: User, topic_feed: Any) -> None:
    for paper in topic_feed["speech"][:3]:
        paper.title = r"Schr\"odinger speech at 90\% $\times$ 2"
        paper.save(update_fields=["title"])
    read = "Schrödinger speech at 90% \u00d7 2"
    client = Client(HTTP_HOST="127.0.0.1")
    parsed = feedparser.parse(client.get(f"/feeds/for-you/{feed_token(fan)}.atom").content)
    assert f"Why: like “{read}” you saved" in parsed.entries[0].summary
    client.force_login(fan)
    page = client.get("/for-you").content.decode()
    assert f'">{read}</a>” you saved' in page
    assert r"90\%" not in page and r"90\%" not in parsed.entries[0].summary
