"""Control characters in query strings, form fields and paths: cleaned (or refused) before
any view reads them, on SQLite and on PostgreSQL (whose text cannot hold NUL at all)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community.models import Comment, Profile
from paperwire.digests.models import Subscription

pytestmark = pytest.mark.django_db
HOST = {"HTTP_HOST": "127.0.0.1"}
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture
def member(small_feed: Any) -> Client:
    user = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    Profile.objects.create(user=user, email_verified=True)
    client = Client(**HOST)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/%00",
        "/u/%01x",
        "/feeds/org/%00.rss",
        "/feeds/subscription/%00.atom",
        "/digests/manage/%00",
        "/week/2026-W02%0b",
        "/papers/x%7f",
    ],
)
def test_a_path_with_a_control_character_is_a_404(client: Client, path: str) -> None:
    response = client.get(path, **HOST)
    assert response.status_code == 404
    assert b"the address contains control characters." in response.content


def test_an_api_path_with_a_control_character_is_a_json_404(client: Client) -> None:
    response = client.get("/api/papers/%00", **HOST)
    assert response.status_code == 404
    assert response.json() == {
        "error": "There is nothing here: the address contains control characters."
    }
    # Newlines and carriage returns are text, not controls: the API's own 404 says why.
    for path in ("/api/papers/a%0A", "/api/papers/t%0Da/related", "/api/papers/x%01/related"):
        response = client.get(path, **HOST)
        assert response.status_code == 404 and response.json()["error"]


@pytest.mark.parametrize(
    "query", ["\x00", "lemmas\x00", "lemmas\x01\x1f", "year:\x01", "org:\x00x"]
)
def test_a_query_string_reaches_search_without_control_characters(
    client: Client, small_feed: Any, query: str
) -> None:
    page = client.get("/search", {"q": query}, **HOST)
    assert page.status_code == 200
    assert not any(ch in page.content.decode() for ch in "\x00\x01\x1f")
    api = client.get("/api/papers/search", {"q": query}, **HOST)
    assert api.status_code == 200
    assert all(value.isprintable() for value in api.headers.values())


def test_the_staff_preview_takes_a_nul_in_its_query(client: Client, small_feed: Any) -> None:
    staff = User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    client.force_login(staff)
    for params in ({"q": "\x00"}, {"period": "\x00"}, {"format": "\x00", "email": "\x00"}):
        assert client.get("/digests/preview", params, **HOST).status_code < 500


def test_a_comment_is_stored_without_control_characters(member: Client) -> None:
    body = "Nice\x01 paper\x07.\nSecond\x0bline\x00."
    response = member.post("/papers/2401.01234/comments", {"body": body})
    assert response.status_code == 302
    assert Comment.objects.get().body == "Nice paper.\nSecond line."


def test_subscription_topics_are_stored_without_control_characters(client: Client) -> None:
    response = client.post(
        "/subscribe",
        {
            "email": "reader@example.org",
            "frequency": "daily",
            "keywords": "state\x01space, linear\x00 attention",
            "authors": "Ada\x1b Lovelace",
        },
        **HOST,
    )
    assert response.status_code == 200, response.content[:300]
    topics = Subscription.objects.get(email="reader@example.org").topics
    assert topics == {"keywords": ["statespace", "linear attention"], "authors": ["Ada Lovelace"]}


def test_a_password_is_left_as_typed(client: Client, small_feed: Any) -> None:
    odd = "odd\x01password with a control character"
    User.objects.create_user("bob", "bob@example.org", odd)
    response = client.post("/login", {"username": "bob", "password": odd}, **HOST)
    assert response.status_code == 302
