"""Where an upvote sends the member back to: a path on this site, else the paper's page.

`next` comes from the page's own link or form, but anyone can change it: a value that
is not a path (`0`, `a@b`), another site, a scheme, or a path with control characters
must fall back to the paper page, never answer 500 and never lead off the site.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db

UPVOTE = "/papers/2401.01234/upvote"
PAPER_PAGE = "/papers/2401.01234"

NOT_PATHS = [
    "0",
    "a@b",
    "daily",
    "papers",
    "-1",
    "?next=x",
    "#comments",
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " /?p=1",
    "/?p=1\r\nSet-Cookie: x=1",
    "/\t/evil.example",
    "/" + "x" * 5000,
]


@pytest.mark.parametrize("target", NOT_PATHS)
def test_a_member_is_sent_to_the_paper_page(
    member_client: Client, feed_paper: Paper, target: str
) -> None:
    fetched = member_client.get(UPVOTE, {"next": target})
    assert fetched.status_code == 302 and fetched["Location"] == PAPER_PAGE
    voted = member_client.post(UPVOTE, {"vote": "1", "next": target})
    assert voted.status_code == 302 and voted["Location"] == PAPER_PAGE
    assert FeedEntry.objects.get(paper=feed_paper).upvotes == 4


@pytest.mark.parametrize("target", NOT_PATHS)
def test_an_anonymous_reader_logs_in_and_comes_back_to_the_paper_page(
    client: Client, feed_paper: Paper, target: str
) -> None:
    response = client.get(UPVOTE, {"next": target}, HTTP_HOST="127.0.0.1")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [PAPER_PAGE]


@pytest.mark.parametrize("target", ["/", "/?date=2026-01-05", "/search?q=a%20b#r", "/papers/x"])
def test_a_path_on_this_site_is_kept(member_client: Client, feed_paper: Paper, target: str) -> None:
    response = member_client.post(UPVOTE, {"vote": "1", "next": target})
    assert response.status_code == 302 and response["Location"] == target


def test_the_htmx_answer_carries_the_safe_target(member_client: Client, feed_paper: Paper) -> None:
    response = member_client.post(UPVOTE, {"vote": "1", "next": "a@b"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'name="next" value="/papers/2401.01234"' in response.content.decode()
