"""GET /api/collections, the Hub's list of public collections, on both backends: its
filters (owner, item, q), sorts and pages, privacy, errors, and huggingface_hub's own
HfApi.list_collections reading the answer through the real client code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import _http

from paperwire.community.models import Collection, CollectionItem
from paperwire.community.tokens import create_token
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

S4 = "2401.01234"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


def _collection(owner: User, name: str, papers: list[Paper], *, public: bool = True,
                description: str = "", day: int = 1) -> Collection:  # fmt: skip
    collection = Collection.objects.create(
        owner=owner, name=name, description=description, public=public
    )
    for position, paper in enumerate(papers):
        CollectionItem.objects.create(collection=collection, paper=paper, position=position)
    when = dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC)
    Collection.objects.filter(pk=collection.pk).update(modified=when)
    return collection


@pytest.fixture
def shelves(small_feed: Any) -> dict[str, Collection]:
    ada = User.objects.create_user("ada", "ada@example.org", "correct horse battery staple 42")
    bob = User.objects.create_user("bob", "bob@example.org", "correct horse battery staple 43")
    gone = User.objects.create_user("gone", "gone@example.org", "x" * 20, is_active=False)
    papers = list(Paper.objects.order_by("pk"))
    s4 = Paper.objects.get(arxiv_id=S4)
    return {
        "reading": _collection(ada, "Reading", papers, day=1),
        "secret": _collection(ada, "Secret", [s4], public=False, day=5),
        "ssm": _collection(ada, "State spaces", [s4], description="S4 and kin", day=3),
        "bob": _collection(bob, "Picks", [s4, papers[0]], day=2),
        "gone": _collection(gone, "Left", [s4], day=4),
    }


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["title"] for c in response.json()]


def test_owner_filter_lists_only_public_collections(shelves: dict[str, Collection]) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    assert titles(anonymous.get("/api/collections?owner=ada")) == ["State spaces", "Reading"]
    assert titles(anonymous.get("/api/collections?owner=ada&owner=bob")) == [
        "State spaces", "Picks", "Reading",
    ]  # fmt: skip
    assert titles(anonymous.get("/api/collections?owner=nobody")) == []
    assert titles(anonymous.get("/api/collections?owner=gone")) == [], "inactive account"
    assert titles(anonymous.get("/api/collections")) == ["State spaces", "Picks", "Reading"]
    # Not even the owner's own token lists a private collection here.
    _, token = create_token(shelves["secret"].owner, "read token", "read")
    owner = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert "Secret" not in titles(owner.get("/api/collections?owner=ada"))
    # A Hugging Face token a reader sends everywhere is ignored, as on the other public routes.
    hub = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer hf_someone-elses-token")
    assert titles(hub.get("/api/collections?owner=ada")) == ["State spaces", "Reading"]


def test_item_and_q_filters(shelves: dict[str, Collection]) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    for item in (f"papers/{S4}", f"papers/{S4}v2"):
        assert titles(anonymous.get(f"/api/collections?item={item}")) == [
            "State spaces", "Picks", "Reading",
        ]  # fmt: skip
    assert titles(anonymous.get(f"/api/collections?item=papers/{S4}&owner=bob")) == ["Picks"]
    for nothing in ("papers/9999.99999", f"models/{S4}", S4, "papers/"):
        assert titles(anonymous.get(f"/api/collections?item={nothing}")) == [], nothing
    assert titles(anonymous.get("/api/collections?q=STATE")) == ["State spaces"]
    assert titles(anonymous.get("/api/collections?q=kin")) == ["State spaces"], "description"
    assert titles(anonymous.get("/api/collections?q=secret")) == []


def test_each_collection_in_the_shape_of_the_single_route(shelves: dict[str, Collection]) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    (listed,) = anonymous.get("/api/collections?owner=ada&q=reading").json()
    single = anonymous.get(f"/api/collections/{shelves['reading'].pk}").json()
    # As the Hub's list: no position of its own (huggingface_hub passes one), at most
    # four items, each as the single collection gives it.
    assert "position" not in listed
    assert listed == {
        **{k: v for k, v in single.items() if k != "position"},
        "items": listed["items"],
    }
    assert len(single["items"]) == 5 and listed["items"] == single["items"][:4]


def test_sorts_limits_and_pages(shelves: dict[str, Collection]) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    newest_first = ["State spaces", "Picks", "Reading"]
    for sort in ("lastModified", "trending", "upvotes"):
        assert titles(anonymous.get(f"/api/collections?sort={sort}")) == newest_first
    first = anonymous.get("/api/collections?limit=2&owner=ada&owner=bob")
    assert titles(first) == newest_first[:2]
    next_url = first["Link"].split(";")[0].strip("<>")
    assert "p=1" in next_url and "owner=ada" in next_url and "owner=bob" in next_url
    last = anonymous.get(next_url.removeprefix("http://127.0.0.1"))
    assert titles(last) == newest_first[2:] and "Link" not in last


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("sort=sideways", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("p=-1", "p"),
        ("q=" + "x" * 251, "q"),
        ("&".join(f"item=papers/2401.{i:05d}" for i in range(21)), "item"),
        ("&".join(f"owner=u{i}" for i in range(21)), "owner"),
    ],
)
def test_bad_parameters_are_a_json_400(
    shelves: dict[str, Collection], query: str, named: str
) -> None:
    response = Client(HTTP_HOST="127.0.0.1").get(f"/api/collections?{query}")
    assert response.status_code == 400 and named in response.json()["error"]


@pytest.fixture
def hf() -> Iterator[HfApi]:
    """huggingface_hub's HfApi with its HTTP client's transport pointed at this site's WSGI
    application, so its own request, paging and parsing code runs against the test
    database of either backend."""
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _http.set_client_factory(
        lambda: httpx2.Client(transport=httpx2.WSGITransport(app=WSGIHandler()), timeout=None)
    )
    try:
        yield HfApi(endpoint="http://127.0.0.1", token=False)
    finally:
        _http.set_client_factory(_http.default_client_factory)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_huggingface_hub_lists_collections(hf: HfApi, shelves: dict[str, Collection]) -> None:
    mine = list(hf.list_collections(owner="ada"))
    assert [c.title for c in mine] == ["State spaces", "Reading"]
    assert [c.position for c in mine] == [0, 1]
    assert all(c.private is False and c.upvotes == 0 for c in mine)
    assert mine[0].slug == f"ada/state-spaces-{shelves['ssm'].pk}"
    assert [i.item_id for i in mine[0].items] == [S4]
    assert {i.item_type for i in mine[1].items} == {"paper"} and len(mine[1].items) == 4
    assert mine[0].last_updated == dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)

    holding = hf.list_collections(owner=["ada", "bob"], item=f"papers/{S4}", sort="lastModified")
    assert [c.slug.split("/")[0] for c in holding] == ["ada", "bob", "ada"]
    assert [c.title for c in hf.list_collections(limit=1)] == ["State spaces"]
    assert list(hf.list_collections(owner="nobody")) == []

    with pytest.raises(HfHubHTTPError) as failure:
        list(hf.list_collections(sort="sideways"))  # type: ignore[arg-type]
    assert failure.value.response.status_code == 400
