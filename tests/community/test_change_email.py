"""A member changes their e-mail address: the password is asked for, a link goes to the
new address and a notice (with no link that changes anything) to the old one; the
account keeps the old address until the link's page is confirmed, the link works once
and dies with a password change or a newer request; a taken address is not disclosed;
the digest subscription, password resets and notices follow the new address."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.test import Client

from paperwire.community import address_change, signups
from paperwire.community.models import Profile
from paperwire.community.ratelimit import Limit
from paperwire.digests.models import DigestMessage, Subscription
from support import delivered_mail, mails_to, without_tokens

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "ada.new@example.org"
OTHER_PASSWORD = "another long passphrase 77"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str, clean_cache: None) -> str:
    return backend


def ask(client: Client, email: str = NEW, password: str = PASSWORD) -> Any:
    return client.post("/settings/email", {"email": email, "password": password})


def confirm_path(message: Any) -> str:
    found = re.search(r"http://127\.0\.0\.1(/settings/email/confirm/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def test_change_confirmed_by_the_new_address(member_client: Client, member: User) -> None:
    page = member_client.get("/settings").text
    assert 'href="/settings/email"' in page and "Change your e-mail address" in page
    form = member_client.get("/settings/email")
    assert form.status_code == 200 and 'name="csrfmiddlewaretoken"' in form.text
    assert "ada@example.org" in form.text

    response = ask(member_client)
    assert response.status_code == 302 and response["Location"] == "/settings/email/sent"
    sent = member_client.get("/settings/email/sent").text
    assert "Check your inbox" in sent and NEW in sent
    assert f"Changing to {NEW}" in member_client.get("/settings").text
    member.refresh_from_db()
    assert member.email == "ada@example.org"  # nothing changes before the link

    (to_new,) = mails_to(NEW)
    (notice,) = mails_to("ada@example.org")
    assert "Confirm your new paperwire address" in to_new.subject
    assert "@ada" in to_new.body and "24 hours" in to_new.body
    assert "was asked for" in notice.subject and NEW in notice.body
    # The notice changes nothing: its only links are the reset form and the settings.
    links = re.findall(r"https?://\S+", notice.body)
    assert sorted(link.split("127.0.0.1", 1)[1] for link in links) == [
        "/password-reset",
        "/settings",
    ]

    path = confirm_path(to_new)
    # The link goes to another mailbox: it names the old address only as a hash.
    payload = path.rsplit("/", 1)[1].split(":")[0]
    assert b"ada@example.org" not in base64.urlsafe_b64decode(payload + "==")
    page = member_client.get(path)
    assert page.status_code == 200 and "Yes, use this address" in page.text
    assert NEW in page.text and 'name="csrfmiddlewaretoken"' in page.text
    member.refresh_from_db()
    assert member.email == "ada@example.org"  # a GET (a mail scanner) changes nothing

    done = member_client.post(path)
    assert done.status_code == 302 and done["Location"] == "/settings/email/changed"
    changed = member_client.get("/settings/email/changed")
    assert "Your address is changed" in changed.text and NEW in changed.text
    # Shown once: a reload goes to the settings, which show the new address.
    assert member_client.get("/settings/email/changed")["Location"] == "/settings"
    member.refresh_from_db()
    assert member.email == NEW
    assert f"({NEW})" in member_client.get("/settings").text
    assert not Profile.objects.get(user=member).pending_email
    (changed_notice,) = mails_to("ada@example.org")[1:]
    assert "was changed" in changed_notice.subject and NEW in changed_notice.body


def test_password_reset_goes_to_the_new_address_only(member_client: Client, member: Any) -> None:
    ask(member_client)
    (to_new,) = mails_to(NEW)
    member_client.post(confirm_path(to_new))
    delivered_mail()  # the notice of the change, to the old address
    mail.outbox.clear()

    anon = Client(HTTP_HOST="127.0.0.1")
    anon.post("/password-reset", {"email": "ada@example.org"})
    assert delivered_mail() == []
    anon.post("/password-reset", {"email": NEW})
    (reset,) = delivered_mail()
    assert reset.to == [NEW] and "/reset/" in reset.body


def test_the_link_works_once(member_client: Client, member: Any) -> None:
    ask(member_client)
    path = confirm_path(mails_to(NEW)[0])
    assert member_client.post(path).status_code == 302
    again = member_client.post(path)
    assert again.status_code == 400 and "no longer works" in again.text
    assert member_client.get(path).status_code == 400


def test_the_link_needs_no_session_but_only_a_post_changes(member: Any) -> None:
    """The link may be opened on another device, where nobody is logged in."""
    signed_in = Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(member)
    ask(signed_in)
    path = confirm_path(mails_to(NEW)[0])
    phone = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    page = phone.get(path)
    assert page.status_code == 200
    assert phone.post(path).status_code == 403  # no CSRF token: refused
    member.refresh_from_db()
    assert member.email == "ada@example.org"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    assert phone.post(path, {"csrfmiddlewaretoken": token.group(1)}).status_code == 302
    member.refresh_from_db()
    assert member.email == NEW
    assert "Log in" in phone.get("/settings/email/changed").text


def test_a_password_change_kills_the_link(member_client: Client, member: User) -> None:
    ask(member_client)
    path = confirm_path(mails_to(NEW)[0])
    member.set_password(OTHER_PASSWORD)
    member.save()
    member_client.force_login(member)
    response = member_client.post(path)
    assert response.status_code == 400 and "no longer works" in response.text
    member.refresh_from_db()
    assert member.email == "ada@example.org"


def test_a_newer_request_or_a_cancel_kills_the_link(member_client: Client, member: Any) -> None:
    ask(member_client)
    first = confirm_path(mails_to(NEW)[0])
    ask(member_client, "ada.third@example.org")
    second = confirm_path(mails_to("ada.third@example.org")[0])
    assert member_client.post(first).status_code == 400
    cancel = member_client.post("/settings/email/cancel")
    assert cancel.status_code == 302 and cancel["Location"] == "/settings"
    assert "is cancelled" in member_client.get("/settings").text
    assert member_client.post(second).status_code == 400
    member.refresh_from_db()
    assert member.email == "ada@example.org"
    assert member_client.get("/settings/email/cancel").status_code == 405


def test_changing_back_does_not_revive_an_old_link(member_client: Client, member: Any) -> None:
    ask(member_client)
    to_new = confirm_path(mails_to(NEW)[0])
    member_client.post(to_new)
    ask(member_client, "ada@example.org")
    member_client.post(confirm_path(mails_to("ada@example.org")[-1]))
    member.refresh_from_db()
    assert member.email == "ada@example.org"
    # The first link names the address the account has again; it must still be dead.
    assert member_client.post(to_new).status_code == 400
    member.refresh_from_db()
    assert member.email == "ada@example.org"


def test_expired_and_tampered_links_are_400(
    member_client: Client, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask(member_client)
    Profile.objects.filter(user=member).update(pending_email=NEW)
    day_ago = int(time.time()) - address_change.CHANGE_MAX_AGE - 60
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(day_ago))
        old_token = address_change.change_token(member, NEW)
    expired = member_client.post(f"/settings/email/confirm/{old_token}")
    assert expired.status_code == 400 and "expired" in expired.text

    good = confirm_path(mails_to(NEW)[0])
    for bad in (good[:-3] + "xyz", good + "x", "/settings/email/confirm/nonsense"):
        response = member_client.post(bad)
        assert response.status_code == 400 and "not valid" in response.text, bad
    # A sign-up verification token is not a change token.
    verify = signups.verification_token(member)
    assert member_client.get(f"/settings/email/confirm/{verify}").status_code == 400
    # Signed with our salt but not our shape: refused, not a 500.
    odd = signing.dumps({"u": "1; drop", "e": 3}, salt=address_change.CHANGE_SALT)
    assert member_client.post(f"/settings/email/confirm/{odd}").status_code == 400
    member.refresh_from_db()
    assert member.email == "ada@example.org"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not an address", PASSWORD, "Enter a valid e-mail address"),
        ("ada@", PASSWORD, "Enter a valid e-mail address"),
        ("", PASSWORD, "Enter the new address."),
        ("ADA@example.org", PASSWORD, "That is already your address"),
        (NEW, "not my password", "That is not your password; nothing was changed."),
        (NEW, "", "Enter your password to change your address."),
        ("x" * 250 + "@example.org", PASSWORD, "at most 254 characters"),
    ],
)
def test_bad_input_is_a_form_error(
    member_client: Client, member: User, email: str, password: str, message: str
) -> None:
    response = ask(member_client, email, password)
    assert response.status_code == 400 and message in response.text
    assert delivered_mail() == []
    assert not Profile.objects.get(user=member).pending_email


def test_login_is_needed_and_html_is_escaped(member_client: Client, member: Any) -> None:
    anon = Client(HTTP_HOST="127.0.0.1")
    assert anon.get("/settings/email")["Location"].startswith("/login?next=/settings/email")
    assert anon.post("/settings/email", {"email": NEW})["Location"].startswith("/login")
    hostile = '"<script>alert(1)</script>"@example.org'
    assert ask(member_client, hostile).status_code == 302
    page = member_client.get("/settings/email").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    confirm = member_client.get(confirm_path(mails_to(hostile)[0])).text
    assert "<script>alert(1)" not in confirm


def test_an_address_with_an_account_is_not_disclosed(
    member_client: Client, member: User, make_member: Any
) -> None:
    make_member("bob")
    taken = ask(member_client, "Bob@example.org")
    assert taken.status_code == 302 and taken["Location"] == "/settings/email/sent"
    (to_bob,) = mails_to("Bob@example.org")
    assert "already has an account" in to_bob.body and "/password-reset" in to_bob.body
    assert "/settings/email/confirm/" not in to_bob.body
    assert "@ada" not in to_bob.body  # nor whose account asked
    member.refresh_from_db()
    assert member.email == "ada@example.org"


def test_an_address_taken_before_the_link_is_followed_is_refused(
    member_client: Client, member: User
) -> None:
    ask(member_client)
    path = confirm_path(mails_to(NEW)[0])
    other = User.objects.create_user("zoe", NEW.upper(), PASSWORD)
    Profile.objects.create(user=other, email_verified=True)
    response = member_client.post(path)
    assert response.status_code == 409 and "belongs to another account" in response.text
    assert "zoe" not in without_tokens(response.text)  # a CSRF token may spell it
    member.refresh_from_db()
    assert member.email == "ada@example.org"


def test_an_unverified_sign_up_does_not_hold_the_address(
    member_client: Client, member: User
) -> None:
    Client(HTTP_HOST="127.0.0.1").post(
        "/signup", {"username": "squatter", "email": NEW, "password": OTHER_PASSWORD}
    )
    assert signups.unverified_accounts().filter(email=NEW).exists()
    mail.outbox.clear()
    ask(member_client)
    (to_new,) = [m for m in mails_to(NEW) if "Confirm your new" in m.subject]
    assert member_client.post(confirm_path(to_new)).status_code == 302
    member.refresh_from_db()
    assert member.email == NEW
    assert list(User.objects.filter(email__iexact=NEW)) == [member]


def test_the_digest_subscription_moves_with_the_address(
    member_client: Client, member: User
) -> None:
    member_client.post("/subscribe", {"email": member.email, "frequency": "weekly"})
    sub = Subscription.objects.get(email="ada@example.org")
    queued = DigestMessage.objects.create(
        subscription=sub,
        period="weekly:2026-W02",
        to_email=sub.email,
        subject="digest",
        text_body="papers",
        html_body="",
        message_id="<m@x>",
        next_attempt_at=sub.created,
    )
    assert "weekly digest moves to the new address" in member_client.get("/settings/email").text
    ask(member_client)
    member_client.post(confirm_path(mails_to(NEW)[0]))
    assert "Your digest subscription moved" in member_client.get("/settings/email/changed").text
    moved = Subscription.objects.get(pk=sub.pk)
    assert moved.email == NEW and moved.status == Subscription.ACTIVE
    assert moved.feed_token == sub.feed_token and moved.frequency == "weekly"
    assert not Subscription.objects.filter(email="ada@example.org").exists()
    queued.refresh_from_db()
    assert queued.to_email == NEW
    settings_page = member_client.get("/settings").text
    assert f"{NEW} gets weekly digests" in settings_page


def test_the_new_address_keeps_its_own_active_subscription(
    member_client: Client, member: User
) -> None:
    mine = Subscription.objects.create(
        email="ada@example.org", user=member, status=Subscription.ACTIVE, frequency="daily"
    )
    theirs = Subscription.objects.create(
        email=NEW, status=Subscription.ACTIVE, frequency="weekly", topics={"keywords": ["s4"]}
    )
    ask(member_client)
    member_client.post(confirm_path(mails_to(NEW)[0]))
    assert (
        "already had its own digest subscription"
        in member_client.get("/settings/email/changed").text
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Subscription.UNSUBSCRIBED  # no more digests to the old address
    assert theirs.status == Subscription.ACTIVE and theirs.user == member
    assert theirs.topics == {"keywords": ["s4"]}


def test_an_unconfirmed_subscription_at_the_new_address_gives_way(
    member_client: Client, member: User
) -> None:
    mine = Subscription.objects.create(
        email="ada@example.org", user=member, status=Subscription.ACTIVE
    )
    Subscription.objects.create(email=NEW, status=Subscription.PENDING)
    ask(member_client)
    member_client.post(confirm_path(mails_to(NEW)[0]))
    assert list(Subscription.objects.filter(email=NEW).values_list("pk", flat=True)) == [mine.pk]


def test_requests_are_rate_limited(
    member_client: Client, member: User, make_member: Any, settings: Any
) -> None:
    settings.PAPERWIRE_RATE_LIMITS = {
        "email-change-account": Limit(2, 3600),
        "email-change-member": Limit(4, 3600),
    }
    assert ask(member_client).status_code == 302
    assert ask(member_client).status_code == 302
    third = ask(member_client)
    assert third.status_code == 429 and "Too many attempts" in third.text
    # The new address is counted across accounts: another member cannot flood it either.
    bob = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.3.3.3")
    bob.force_login(make_member("bob"))
    assert ask(bob).status_code == 429
    assert len(mails_to(NEW)) == 2
    # Per member, wrong passwords included.
    assert ask(member_client, "c@example.org", "wrong").status_code == 400
    assert ask(member_client, "d@example.org").status_code == 429


def test_changing_the_password_on_its_page_ends_the_pending_change(
    member_client: Client, member: User
) -> None:
    ask(member_client)
    assert NEW in member_client.get("/settings").text
    response = member_client.post(
        "/settings/password",
        {
            "old_password": PASSWORD,
            "new_password1": OTHER_PASSWORD,
            "new_password2": OTHER_PASSWORD,
        },
    )
    assert response.status_code == 302
    # Its link died with the old password; Settings no longer says it is waiting.
    assert NEW not in member_client.get("/settings").text
    assert address_change.pending_change(member) is None
