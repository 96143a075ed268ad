"""Download my data and Delete my account: the export holds everything of the member's
and no secret; deletion asks for the password, removes the account and all that was
theirs alone, and leaves others' threads readable with "[deleted]" in place."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community import actions, library
from paperwire.community.models import (
    AccessToken,
    Collection,
    CollectionItem,
    Comment,
    Profile,
    Save,
    Upvote,
)
from paperwire.community.tokens import create_token
from paperwire.digests.models import Subscription
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def busy_member(small_feed: Any) -> tuple[User, Any]:
    """A member who did one of everything, and a reply from someone else."""
    user = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    Profile.objects.create(user=user, display_name="Ada", bio="Counts", email_verified=True)
    paper = Paper.objects.get(arxiv_id="2401.01234")
    actions.set_vote(user, paper, True)
    library.set_saved(user, paper, True)
    library.set_read(user, paper, True)
    collection = library.create_collection(user, "Mine", "notes", public=True)
    library.add_to_collection(collection, paper)
    comment = actions.add_comment(user, paper, "First *thought*", None)
    other = User.objects.create_user("bob", "bob@example.org", PASSWORD)
    actions.add_comment(other, paper, "A reply to Ada", comment)
    Subscription.objects.create(
        email="ada@example.org", user=user, status=Subscription.ACTIVE, topics={"keywords": ["s4"]}
    )
    _, token = create_token(user, "script", AccessToken.WRITE)
    return user, token


def test_download_holds_everything_and_no_secret(busy_member: tuple[User, str]) -> None:
    user, token = busy_member
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    response = client.get("/settings/my-data.json")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="paperwire-ada-\d{4}-\d\d-\d\d\.json"',
        response["Content-Disposition"],
    ), response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["profile"]["username"] == "ada" and data["profile"]["bio"] == "Counts"
    assert [v["paper"] for v in data["upvotes"]] == ["2401.01234"]
    assert data["saves"][0]["read_at"] is not None
    assert data["collections"][0]["name"] == "Mine"
    assert [p["paper"] for p in data["collections"][0]["papers"]] == ["2401.01234"]
    assert [c["body"] for c in data["comments"]] == ["First *thought*"]
    # Bob's reply notified Ada: which comment and why, not his words.
    assert [(n["paper"], n["reason"], n["read_at"]) for n in data["notifications"]] == [
        ("2401.01234", "reply", None)
    ]
    assert data["profile"]["email_on_reply"] is True
    assert data["subscriptions"][0]["topics"] == {"keywords": ["s4"]}
    assert data["tokens"][0]["name"] == "script" and data["tokens"][0]["scope"] == "write"
    body = response.content.decode()
    digest = AccessToken.objects.get().digest
    assert token not in body and digest not in body and user.password not in body
    assert "A reply to Ada" not in body, "only the member's own comments"
    assert Client(HTTP_HOST="127.0.0.1").get("/settings/my-data.json").status_code == 302


def test_delete_asks_for_the_password_first(busy_member: tuple[User, str]) -> None:
    user, _ = busy_member
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    page = client.get("/settings/delete-account").content.decode()
    assert "Your password" in page and "download your data" in page
    wrong = client.post("/settings/delete-account", {"password": "not it"})
    assert wrong.status_code == 400 and "nothing was deleted" in wrong.content.decode()
    assert client.post("/settings/delete-account", {}).status_code == 400
    assert User.objects.filter(username="ada").exists()


def test_delete_removes_the_account_and_keeps_threads_readable(
    busy_member: tuple[User, str],
) -> None:
    user, token = busy_member
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    response = client.post("/settings/delete-account", {"password": PASSWORD})
    assert response.status_code == 200 and "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(username="ada").exists()
    for model in (Upvote, Save, Collection, CollectionItem, AccessToken, Profile):
        assert (
            not model.objects.filter()
            .exclude(**({"user__username": "bob"} if model is Profile else {}))
            .exists()
        ), model.__name__
    assert not Subscription.objects.filter(email="ada@example.org").exists()
    entry = FeedEntry.objects.get(paper__arxiv_id="2401.01234")
    assert entry.upvotes == 3, "the imported 3, without Ada's"
    assert entry.num_comments == 1, "Bob's reply still counts"
    gone = Comment.objects.get(parent__isnull=True)
    assert gone.deleted and gone.author is None and gone.body == ""
    page = Client(HTTP_HOST="127.0.0.1").get("/papers/2401.01234").content.decode()
    assert "[deleted]" in page and "A reply to Ada" in page and "First" not in page
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/whoami-v2").status_code == 401
    thread = Client(HTTP_HOST="127.0.0.1").get("/api/papers/2401.01234/comments").json()
    assert [c["data"]["hidden"] for c in thread] == [True, False]
    # The session is over, and the username is free again.
    assert client.get("/settings").status_code == 302
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.parametrize("how", ["one", "action"])
def test_staff_deleting_an_account_in_the_admin_does_what_the_member_would(
    busy_member: tuple[User, str], admin_client: Client, how: str
) -> None:
    user, _ = busy_member
    bob = User.objects.get(username="bob")
    paper = Paper.objects.get(arxiv_id="2401.01234")
    mention = actions.add_comment(bob, paper, "As @ada said", None)
    assert 'href="/u/ada"' in mention.body_html
    assert FeedEntry.objects.get(paper=paper).upvotes == 4

    if how == "one":
        response = admin_client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    else:
        response = admin_client.post(
            "/admin/auth/user/",
            {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not User.objects.filter(username="ada").exists()
    entry = FeedEntry.objects.get(paper=paper)
    assert entry.upvotes == 3, "the imported 3, without Ada's"
    assert entry.num_comments == 2, "Bob's reply and mention still count"
    gone = Comment.objects.get(parent__isnull=True, author__isnull=True)
    assert gone.deleted and gone.body == ""
    mention.refresh_from_db()
    assert "href=" not in mention.body_html and "@ada" in mention.body_html
    assert not Subscription.objects.filter(email="ada@example.org").exists()
