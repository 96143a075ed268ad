"""HEAD on every GET route of the API answers as GET does, without a body, on both
backends; the OpenAPI document still lists GET alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community.models import Collection, CollectionItem
from paperwire.community.tokens import create_token
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


# One address for each GET path of the OpenAPI document ({pk} is filled in below).
GET_ROUTES = {
    "/api/daily_papers": "/api/daily_papers?date=2026-01-05",
    "/api/papers": "/api/papers?limit=2",
    "/api/whoami-v2": "/api/whoami-v2",
    "/api/me/for-you": "/api/me/for-you",
    "/api/me/saves": "/api/me/saves",
    "/api/me/data": "/api/me/data",
    "/api/me/collections": "/api/me/collections",
    "/api/me/collections/{pk}": "/api/me/collections/{pk}",
    "/api/collections": "/api/collections?owner=ada",
    "/api/collections/{slug}": "/api/collections/ada/reading-{pk}",
    "/api/papers/search": "/api/papers/search?q=lemmas",
    "/api/papers/{paper_id}/related": "/api/papers/2401.01234/related",
    "/api/papers/{paper_id}/comments": "/api/papers/2401.01234/comments",
    "/api/papers/{paper_id}": "/api/papers/2401.01234",
}


@pytest.fixture
def reader(small_feed: Any) -> tuple[Client, int]:
    user = User.objects.create_user("ada", "ada@example.org", "correct horse battery staple 42")
    collection = Collection.objects.create(owner=user, name="Reading", public=True)
    CollectionItem.objects.create(collection=collection, paper=Paper.objects.first())
    _, token = create_token(user, "read token", "read")
    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}"), collection.pk


def test_every_get_route_of_the_document_is_covered(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {path for path, ops in paths.items() if "get" in ops} == set(GET_ROUTES)
    assert not any("head" in ops for ops in paths.values())


def _steady_headers(first: Any, second: Any) -> dict[str, str]:
    """The headers two GETs agree on (an export's ETag holds its time), less a gzip
    answer's length, which Django's random padding changes from one answer to the next."""
    return {
        k: v
        for k, v in first.headers.items()
        if second.headers.get(k) == v
        and not (k == "Content-Length" and first.get("Content-Encoding") == "gzip")
    }


@pytest.mark.parametrize(
    "url", [*GET_ROUTES.values(), "/api/openapi.json", "/api/docs", "/api/papers/no-such-id"]
)
@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_head_answers_as_get(
    reader: tuple[Client, int], url: str, gzip: bool, signed_in: bool
) -> None:
    client = reader[0] if signed_in else Client(HTTP_HOST="127.0.0.1")
    url = url.format(pk=reader[1])
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    get, head, get_again = (
        client.get(url, headers=headers),
        client.head(url, headers=headers),
        client.get(url, headers=headers),
    )

    assert head.status_code == get.status_code != 405, get.content[:300]
    steady = _steady_headers(get, get_again)
    assert {k: v for k, v in head.headers.items() if k in steady} == steady
    assert set(head.headers) == set(get.headers)
    assert head.content == b""


def test_head_of_a_post_only_route_is_refused_as_get_is(reader: tuple[Client, int]) -> None:
    client = reader[0]
    head = client.head("/api/papers/2401.01234/comment")
    assert head.status_code == 405 and head["Allow"] == "POST"
