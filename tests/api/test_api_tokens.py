"""The API with personal access tokens, on both backends: whoami-v2 in the Hub's shape,
For you, saves, upvotes, collections (read back by huggingface_hub's own Collection
parser) and comments; scopes, rate limits and every refusal as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from huggingface_hub.hf_api import Collection as HubCollection

from paperwire.community.models import Collection, Comment, Organization, OrganizationMember
from paperwire.community.ratelimit import Limit
from paperwire.community.tokens import create_token
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture
def owner(db: None) -> User:
    from paperwire.community.models import Profile

    user = User.objects.create_user("ada", "ada@example.org", "correct horse battery staple 42")
    Profile.objects.create(user=user, display_name="Ada L.", email_verified=True)
    return user


def bearer(user: User, scope: str = "write") -> Client:
    _, token = create_token(user, f"{scope} token", scope)
    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_whoami_names_the_owner_as_the_hub_does(owner: User) -> None:
    org = Organization.objects.create(name="tencent", fullname="Tencent")
    OrganizationMember.objects.create(organization=org, user=owner)
    data = bearer(owner, "read").get("/api/whoami-v2").json()
    assert data["type"] == "user" and data["name"] == "ada" and data["fullname"] == "Ada L."
    assert data["email"] == "ada@example.org" and data["emailVerified"] is True
    assert [o["name"] for o in data["orgs"]] == ["tencent"] and data["orgs"][0]["type"] == "org"
    assert data["auth"]["type"] == "access_token"
    assert data["auth"]["accessToken"]["role"] == "read"
    assert data["auth"]["accessToken"]["displayName"] == "read token"


def test_refusals_are_json(owner: User, small_feed: Any, settings: Any) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    response = anonymous.get("/api/whoami-v2")
    assert response.status_code == 401 and "error" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")
    wrong = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer pw_not-a-real-token")
    assert wrong.get("/api/me/for-you").json() == {"error": "invalid or revoked token"}
    reader = bearer(owner, "read")
    refused = reader.post("/api/papers/2401.01234/upvote")
    assert refused.status_code == 403 and "write scope" in refused.json()["error"]
    assert reader.get("/api/me/for-you?limit=101").status_code == 400
    assert reader.get("/api/me/for-you?limit=0").status_code == 400

    settings.PAPERWIRE_RATE_LIMITS = {"api-read": Limit(2, 60)}
    limited = bearer(owner, "read")
    assert [limited.get("/api/me/saves").status_code for _ in range(3)] == [200, 200, 429]
    last = limited.get("/api/me/saves")
    assert last.status_code == 429 and last["Retry-After"] == "60" and "error" in last.json()
    assert bearer(owner, "read").get("/api/me/saves").status_code == 200, "per token"


def test_public_endpoints_answer_a_token_they_do_not_know(small_feed: Any) -> None:
    # A reader's HF_TOKEN (a Hugging Face token) goes to whatever HF_ENDPOINT names:
    # the public endpoints must still answer, as docs/api.md says.
    hub = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer hf_someone-elses-token")
    for url in (
        "/api/daily_papers?date=2026-01-05",
        "/api/papers/2401.01234",
        "/api/papers/search?q=state",
    ):
        assert hub.get(url).status_code == 200, url
    assert hub.get("/api/whoami-v2").status_code == 401


def test_for_you_answers_daily_paper_items_in_ranked_order(owner: User, small_feed: Any) -> None:
    client = bearer(owner)
    daily = Client(HTTP_HOST="127.0.0.1").get("/api/daily_papers?date=2026-01-05").json()
    response = client.get("/api/me/for-you")
    items = response.json()
    assert response.status_code == 200 and response["X-For-You-Mode"] == "trending"
    assert len(items) == FeedEntry.objects.count() == 5
    assert set(items[0]) == set(daily[0]) | {"reason"}
    assert all(item["reason"].startswith("trending") for item in items)
    assert len(client.get("/api/me/for-you?limit=2").json()) == 2


def test_upvotes_and_saves(owner: User, small_feed: Any) -> None:
    client = bearer(owner)
    voted = client.post("/api/papers/2401.01234v1/upvote").json()
    assert voted == {"id": "2401.01234", "upvoted": True, "upvotes": 4}
    assert client.post("/api/papers/2401.01234/upvote").json()["upvotes"] == 4
    assert client.delete("/api/papers/2401.01234/upvote").json()["upvotes"] == 3
    assert client.post("/api/papers/9999.99999/upvote").status_code == 404
    Paper.objects.create(public_id="pwoutsidefeed", title="Outside", title_key="outside")
    assert client.post("/api/papers/pwoutsidefeed/upvote").status_code == 409
    assert FeedEntry.objects.get(paper__arxiv_id="2401.01234").upvotes == 3

    assert client.post("/api/me/saves/2401.01234").json() == {"id": "2401.01234", "saved": True}
    saved = client.get("/api/me/saves").json()
    assert [s["id"] for s in saved] == ["2401.01234"] and saved[0]["read"] is False
    assert client.delete("/api/me/saves/2401.01234").json()["saved"] is False
    assert client.get("/api/me/saves").json() == []
    assert client.get("/api/me/saves?show=sideways").status_code == 400


def test_collections_list_create_add_remove_reorder(owner: User, small_feed: Any) -> None:
    client = bearer(owner)
    made = post(client, "/api/me/collections", {"title": "S4 and kin", "description": "ssm"})
    assert made.status_code == 201
    pk = made.json()["slug"].rsplit("-", 1)[1]
    ids = [p.public_id for p in Paper.objects.order_by("pk")[:3]]
    for paper_id in ids:
        assert (
            post(client, f"/api/me/collections/{pk}/papers", {"paper": paper_id}).status_code == 200
        )
    order = [ids[2], ids[0], ids[1]]
    data = client.put(
        f"/api/me/collections/{pk}/order",
        json.dumps({"papers": order}),
        content_type="application/json",
    ).json()
    assert [i["id"] for i in data["items"]] == order
    assert [i["position"] for i in data["items"]] == [0, 1, 2]
    bad = client.put(
        f"/api/me/collections/{pk}/order",
        json.dumps({"papers": order[:2]}),
        content_type="application/json",
    )
    assert bad.status_code == 409 and "every paper" in bad.json()["error"]
    assert client.delete(f"/api/me/collections/{pk}/papers/{ids[0]}").status_code == 200
    assert [c["title"] for c in client.get("/api/me/collections").json()] == ["S4 and kin"]
    assert post(client, "/api/me/collections", {"title": "S4 and kin"}).status_code == 409

    # Private until made public; then huggingface_hub's parser reads it.
    anonymous = Client(HTTP_HOST="127.0.0.1")
    assert anonymous.get(f"/api/collections/{pk}").status_code == 404
    assert client.get(f"/api/collections/{pk}").status_code == 200, "its owner's token sees it"
    client.patch(
        f"/api/me/collections/{pk}", json.dumps({"private": False}), content_type="application/json"
    )
    public = anonymous.get(f"/api/collections/ada/s4-and-kin-{pk}").json()
    parsed = HubCollection(**public, endpoint="http://127.0.0.1")
    assert parsed.title == "S4 and kin" and parsed.private is False
    assert [i.item_id for i in parsed.items] == [ids[2], ids[1]]
    assert {i.item_type for i in parsed.items} == {"paper"}

    other = bearer(User.objects.create_user("eve", "eve@example.org", "x" * 20))
    assert other.get(f"/api/me/collections/{pk}").status_code == 404
    assert other.delete(f"/api/me/collections/{pk}").status_code == 404
    assert client.delete(f"/api/me/collections/{pk}").json() == {"deleted": int(pk)}
    assert not Collection.objects.exists()


def test_a_bad_field_of_a_json_body_is_named_with_the_value_sent(owner: User) -> None:
    client = bearer(owner)
    pk = post(client, "/api/me/collections", {"title": "Mine"}).json()["slug"].rsplit("-", 1)[1]

    def patch(body: Any) -> str:
        response = client.patch(
            f"/api/me/collections/{pk}", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 400
        message: str = response.json()["error"]
        return message

    assert patch({"title": "   "}) == "title '   ' is not of the documented form"
    assert patch({"title": ""}) == "title is too short (at least 1 character(s))"
    assert patch({"title": "x" * 1000}).startswith("title is too long (1000 characters")
    made = post(client, "/api/me/collections", {"description": "no title"})
    assert made.status_code == 400 and made.json()["error"] == "title is missing"


def test_comments_list_post_and_reply(owner: User, small_feed: Any) -> None:
    client = bearer(owner)
    first = post(client, "/api/papers/2401.01234/comment", {"comment": "Clear and *useful*"})
    assert first.status_code == 201
    posted = first.json()
    assert posted["data"]["latest"]["raw"] == "Clear and *useful*"
    assert "<em>useful</em>" in posted["data"]["latest"]["html"]
    reply = post(
        client, f"/api/papers/2401.01234/comment/{posted['id']}/reply", {"comment": "Agreed"}
    )
    assert reply.status_code == 201 and reply.json()["data"]["parentCommentId"] == posted["id"]
    thread = Client(HTTP_HOST="127.0.0.1").get("/api/papers/2401.01234/comments").json()
    assert [c["data"]["latest"]["raw"] for c in thread] == ["Clear and *useful*", "Agreed"]
    assert FeedEntry.objects.get(paper__arxiv_id="2401.01234").num_comments == 2
    missing = post(
        client, "/api/papers/2401.01234/comment/000000050000000000009999/reply", {"comment": "?"}
    )
    assert missing.status_code == 404
    assert post(client, "/api/papers/2401.01234/comment", {"comment": ""}).status_code == 400
    assert post(client, "/api/papers/2401.01234/comment", {"text": "wrong key"}).status_code == 400
    assert Comment.objects.count() == 2


def test_a_comment_or_reply_sent_again_is_the_one_already_posted(
    owner: User, small_feed: Any
) -> None:
    """A client that retries (no answer seen, say) does not post the comment twice."""
    client = bearer(owner)
    url = "/api/papers/2401.01234/comment"
    first = post(client, url, {"comment": "Retried"})
    again = post(client, url, {"comment": "Retried"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    reply_url = f"{url}/{first.json()['id']}/reply"
    replies = [post(client, reply_url, {"comment": "Retried"}).json()["id"] for _ in range(2)]
    assert replies[0] == replies[1] != first.json()["id"]
    assert Comment.objects.count() == 2
    assert FeedEntry.objects.get(paper__arxiv_id="2401.01234").num_comments == 2


def test_a_retried_comment_spends_no_rate_limit(
    owner: User, small_feed: Any, settings: Any
) -> None:
    settings.PAPERWIRE_RATE_LIMITS = {"comment-account": Limit(2, 60)}
    client = bearer(owner)
    url = "/api/papers/2401.01234/comment"
    first = post(client, url, {"comment": "Retried"}).json()["id"]
    assert [post(client, url, {"comment": "Retried"}).json()["id"] for _ in range(3)] == [first] * 3
    assert post(client, url, {"comment": "New"}).status_code == 201
    refused = post(client, url, {"comment": "Newer"})
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "commenting very fast" in refused.json()["error"]
    assert Comment.objects.count() == 2


def test_my_data_and_deleting_the_account_through_the_api(owner: User, small_feed: Any) -> None:
    client = bearer(owner)
    client.post("/api/me/saves/2401.01234")
    post(client, "/api/papers/2401.01234/comment", {"comment": "Mine"})
    data = client.get("/api/me/data").json()
    assert data["profile"]["username"] == "ada" and [s["paper"] for s in data["saves"]] == [
        "2401.01234"
    ]
    assert [t["name"] for t in data["tokens"]] == ["write token"]
    reader = bearer(owner, "read")
    assert (
        reader.delete(
            "/api/me", json.dumps({"password": "x"}), content_type="application/json"
        ).status_code
        == 403
    )
    wrong = client.delete(
        "/api/me", json.dumps({"password": "not it"}), content_type="application/json"
    )
    assert wrong.status_code == 403 and "nothing was deleted" in wrong.json()["error"]
    assert User.objects.filter(username="ada").exists()
    done = client.delete(
        "/api/me",
        json.dumps({"password": "correct horse battery staple 42"}),
        content_type="application/json",
    )
    assert done.json() == {"deleted": "ada"}
    assert not User.objects.filter(username="ada").exists()
    assert Comment.objects.get().deleted and client.get("/api/whoami-v2").status_code == 401
