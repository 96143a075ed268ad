"""Account mail people can trust: it waits in the outbox when the mail server is down,
signing up again with an unverified address sends a fresh link (never a reset), an
unverified account's username is released after UNVERIFIED_DAYS, subjects name the site."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from paperwire.community import signups
from paperwire.community.models import Profile
from paperwire.mail.models import Mail
from paperwire.mail.outbox import send_due_mail
from support import delivered_mail

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

OTHER_PASSWORD = "another long passphrase 77"


@pytest.fixture
def anon(clean_cache: None) -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def _signup(client: Client, username: str, email: str, password: str = PASSWORD) -> Any:
    return client.post("/signup", {"username": username, "email": email, "password": password})


def _verify_path(message: Any) -> str:
    found = re.search(r"http://127\.0\.0\.1(/verify/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def test_signing_up_again_sends_a_fresh_link_and_the_old_one_goes_stale(anon: Client) -> None:
    assert _signup(anon, "grace", "grace@example.org").status_code == 302
    first = _verify_path(delivered_mail()[-1])
    mail.outbox.clear()

    again = _signup(anon, "grace2", "Grace@example.org", OTHER_PASSWORD)
    assert again.status_code == 302 and again["Location"] == "/signup/sent"
    (fresh_mail,) = delivered_mail()
    assert "Confirm your paperwire account" in fresh_mail.subject
    assert (
        "already has an account" not in fresh_mail.body and "/password-reset" not in fresh_mail.body
    )
    assert User.objects.filter(email__iexact="grace@example.org").count() == 1

    stale = anon.get(first)
    assert stale.status_code == 400 and b"newer sign-up" in stale.content
    assert not User.objects.get(email="grace@example.org").is_active

    assert anon.get(_verify_path(fresh_mail)).status_code == 200
    user = User.objects.get(email="grace@example.org")
    assert user.is_active and user.username == "grace2"
    assert anon.login(username="grace2", password=OTHER_PASSWORD)
    assert not anon.login(username="grace2", password=PASSWORD)


def test_a_verified_address_still_gets_the_already_registered_mail(
    anon: Client, make_member: Any
) -> None:
    make_member("ada")
    assert _signup(anon, "someone", "ada@example.org").status_code == 302
    (sent,) = delivered_mail()
    assert "already has an account" in sent.body and "/password-reset" in sent.body


def test_an_unverified_username_is_held_for_a_week_then_released(anon: Client) -> None:
    assert _signup(anon, "kim", "kim@example.org").status_code == 302
    taken = _signup(anon, "kim", "other@example.org")
    assert taken.status_code == 400 and b"This username is taken" in taken.content

    User.objects.filter(username="kim").update(
        date_joined=timezone.now() - dt.timedelta(days=signups.UNVERIFIED_DAYS, minutes=1)
    )
    assert _signup(anon, "kim", "other@example.org").status_code == 302
    kim = User.objects.get(username="kim")
    assert kim.email == "other@example.org"
    assert not User.objects.filter(email="kim@example.org").exists()


def test_the_worker_removes_accounts_never_verified(make_member: Any) -> None:
    old = timezone.now() - dt.timedelta(days=signups.UNVERIFIED_DAYS + 1)
    stale = User.objects.create_user("stale", "stale@example.org", PASSWORD, is_active=False)
    Profile.objects.create(user=stale)
    recent = User.objects.create_user("recent", "recent@example.org", PASSWORD, is_active=False)
    Profile.objects.create(user=recent)
    suspended = User.objects.create_user("banned", "b@example.org", PASSWORD, is_active=False)
    Profile.objects.create(user=suspended, email_verified=True, suspended=True)
    verified = make_member("ada")
    User.objects.filter(pk__in=[stale.pk, suspended.pk, verified.pk]).update(date_joined=old)

    assert signups.delete_unverified_accounts() == 1
    assert set(User.objects.values_list("username", flat=True)) == {"recent", "banned", "ada"}


def test_sign_up_with_the_mail_server_down_waits_in_the_outbox(anon: Client, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = _signup(anon, "lin", "lin@example.org")
    assert response.status_code == 302 and response["Location"] == "/signup/sent"
    assert send_due_mail().retrying == 1
    waiting = Mail.objects.get(to_email="lin@example.org")
    assert waiting.kind == "verify" and waiting.status == Mail.QUEUED
    assert waiting.next_attempt_at > timezone.now()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Mail.objects.update(next_attempt_at=timezone.now())
    (sent,) = delivered_mail()
    assert sent.to == ["lin@example.org"] and "/verify/" in sent.body


@pytest.mark.django_db(transaction=True)
def test_no_check_your_inbox_when_the_mail_cannot_be_stored(anon: Client) -> None:
    table = Mail._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        response = _signup(anon, "max", "max@example.org")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert response.status_code == 503
    assert b"Check your inbox" not in response.content and b"try again" in response.content
    assert not User.objects.filter(username="max").exists(), "the account was not rolled back"


def test_the_reset_mail_names_the_site_not_the_host(anon: Client, make_member: Any) -> None:
    make_member("ada")
    Client(HTTP_HOST="127.0.0.1:8611").post("/password-reset", {"email": "ada@example.org"})
    (sent,) = delivered_mail()
    assert sent.subject == "Set a new paperwire password"
    assert "http://127.0.0.1:8611/reset/" in sent.body
