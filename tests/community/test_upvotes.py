"""Upvotes: toggled in place, one per member, counts that only move with real rows."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections
from django.test import Client

from paperwire.community.models import Upvote
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db


def count(paper: Paper) -> int:
    return FeedEntry.objects.get(paper=paper).upvotes


def test_toggle_adds_then_removes_one_vote(member_client: Client, feed_paper: Paper) -> None:
    url = "/papers/2401.01234/upvote"
    first = member_client.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    html = first.content.decode()
    assert 'class="votes voted"' in html and '<span class="n">4</span>' in html
    assert count(feed_paper) == 4 and Upvote.objects.count() == 1

    second = member_client.post(url, HTTP_HX_REQUEST="true")
    assert '<span class="n">3</span>' in second.content.decode()
    assert count(feed_paper) == 3 and Upvote.objects.count() == 0


def test_explicit_vote_is_idempotent(member_client: Client, feed_paper: Paper) -> None:
    for _ in range(3):
        member_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    assert count(feed_paper) == 4
    for _ in range(3):
        member_client.post("/papers/2401.01234/upvote", {"vote": "0"})
    assert count(feed_paper) == 3


def test_without_htmx_the_form_redirects_back(member_client: Client, feed_paper: Paper) -> None:
    response = member_client.post("/papers/2401.01234/upvote", {"vote": "1", "next": "/?p=1"})
    assert response.status_code == 302 and response["Location"] == "/?p=1"


def test_the_feed_card_shows_the_button_and_state(member_client: Client, feed_paper: Paper) -> None:
    member_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    html = member_client.get("/?date=2026-01-05").content.decode()
    assert 'aria-pressed="true"' in html and 'hx-post="/papers/2401.01234/upvote"' in html
    assert '<span class="n">4</span>' in html


def test_anonymous_click_leads_to_login_and_back(client: Client, feed_paper: Paper) -> None:
    page = client.get("/?date=2026-01-05", HTTP_HOST="127.0.0.1").content.decode()
    assert "/papers/2401.01234/upvote?next=/%3Fdate%3D2026-01-05" in page
    response = client.get(
        "/papers/2401.01234/upvote", {"next": "/?date=2026-01-05"}, HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == ["/?date=2026-01-05"]


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_no_open_redirect(
    client: Client, member_client: Client, feed_paper: Paper, evil: str
) -> None:
    anon = client.get("/papers/2401.01234/upvote", {"next": evil}, HTTP_HOST="127.0.0.1")
    assert parse_qs(urlsplit(anon["Location"]).query)["next"] == ["/papers/2401.01234"]
    voted = member_client.post("/papers/2401.01234/upvote", {"vote": "1", "next": evil})
    assert voted["Location"] == "/papers/2401.01234"


def test_anonymous_htmx_post_gets_a_client_redirect(feed_paper: Paper) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post("/papers/2401.01234/upvote", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/login?next=")
    assert count(feed_paper) == 3


def test_votes_on_hidden_or_unknown_papers_are_404(
    member_client: Client, feed_paper: Paper
) -> None:
    Paper.objects.filter(pk=feed_paper.pk).update(hidden=True)
    response = member_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    assert response.status_code == 404 and b"No paper has this id" in response.content
    assert member_client.post("/papers/2409.99999/upvote").status_code == 404
    assert Upvote.objects.count() == 0 and count(feed_paper) == 3


def test_a_bad_vote_value_is_400(member_client: Client, feed_paper: Paper) -> None:
    response = member_client.post("/papers/2401.01234/upvote", {"vote": "7"})
    assert response.status_code == 400 and b"vote must be 1" in response.content
    assert count(feed_paper) == 3


def test_votes_renew_cached_pages(client: Client, member_client: Client, feed_paper: Paper) -> None:
    anon = Client(HTTP_HOST="127.0.0.1")
    assert '<span class="n">3</span>' in anon.get("/papers/2401.01234").content.decode()
    member_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    assert '<span class="n">4</span>' in anon.get("/papers/2401.01234").content.decode()
    api = anon.get("/api/papers/2401.01234").json()
    assert api["upvotes"] == 4


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_in_process_leave_one_vote(small_feed, make_member) -> None:
    """Threads with their own database connections, as web workers have."""
    user = make_member("grace")
    paper = Paper.objects.get(arxiv_id="2401.01234")
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def vote() -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(client.post("/papers/2401.01234/upvote", {"vote": "1"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 50
    assert Upvote.objects.filter(user=user, paper=paper).count() == 1
    assert count(paper) == 4
