"""A member manages their e-mail digest from the settings page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from paperwire.digests.models import Subscription

pytestmark = pytest.mark.django_db


def test_member_subscribes_from_settings_without_a_second_opt_in(
    member_client: Client, member: Any
) -> None:
    page = member_client.get("/settings").content.decode()
    assert "E-mail digest" in page and 'action="/subscribe"' in page
    # For you's "Choose topics" leads here: the section says where topics are chosen.
    for_you = member_client.get("/for-you").content.decode()
    assert 'href="/settings#digest-h">Choose topics</a>' in for_you
    assert "Topics (arXiv categories, authors, organizations, saved searches)" in page
    response = member_client.post("/subscribe", {"email": member.email, "frequency": "weekly"})
    # POST/redirect/GET: a reload of the page that says so does not post the form again.
    assert response.status_code == 302
    assert re.fullmatch(r"/digests/manage/[^/?]+\?subscribed=1", response["Location"])
    sub = Subscription.objects.get(email=member.email.lower())
    assert sub.status == Subscription.ACTIVE and sub.user == member
    assert sub.frequency == "weekly"
    landing = member_client.get(response["Location"])
    assert landing.status_code == 200 and "You are subscribed." in landing.text
    assert "weekly digests" in landing.text
    manage_path = response["Location"].split("?")[0]
    assert "You are subscribed." not in member_client.get(manage_path).text
    page = member_client.get("/settings").content.decode()
    assert "/digests/manage/" in page and "weekly digests" in page


def test_another_address_still_needs_confirmation(member_client: Client, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member_client.post("/subscribe", {"email": "someone@example.org", "frequency": "daily"})
    sub = Subscription.objects.get(email="someone@example.org")
    assert sub.status == Subscription.PENDING and sub.user is None


def test_the_headers_subscribe_box_holds_a_members_address(
    member_client: Client, member: Any, feed_paper: Any
) -> None:
    """A member who presses the header's Subscribe subscribes their own address, instead
    of meeting the browser's "Please fill out this field"; a visitor's box is empty, and
    the pages cached for visitors never hold anyone's address."""
    strip = 'id="subscribe-email" name="email" value="ada@example.org"'
    for path in ("/", "/papers/2401.01234", "/search?q=state"):
        assert strip in member_client.get(path).content.decode(), path
        visitor = Client(HTTP_HOST="127.0.0.1").get(path).content.decode()
        assert (
            "ada@example.org" not in visitor
            and 'id="subscribe-email" name="email" placeholder' in visitor
        )
