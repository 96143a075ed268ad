"""Logging in to an account that cannot log in: whoever gives its right password learns
why (suspended, and whom to ask; or its address never verified), instead of being told
to check a password that is right; a wrong password is told nothing more."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from paperwire.community.models import Profile

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase 12"
CONTACT = "moderators@example.org"
WRONG = "Please enter a correct username and password."


def account(username: str, *, active: bool, verified: bool, suspended: bool) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    user.is_active = active
    user.save(update_fields=["is_active"])
    Profile.objects.create(user=user, email_verified=verified, suspended=suspended)
    return user


def log_in(username: str, password: str = PASSWORD) -> tuple[int, str]:
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post("/login", {"username": username, "password": password})
    assert "_auth_user_id" not in client.session
    return response.status_code, response.content.decode()


@override_settings(PAPERWIRE_CONTACT_EMAIL=CONTACT)
def test_a_suspended_member_is_told_so_and_whom_to_ask() -> None:
    account("mallory", active=False, verified=True, suspended=True)

    status, page = log_in("mallory")

    assert status == 200
    assert f"This account is suspended. To ask why, write to {CONTACT}." in page
    assert WRONG not in page


def test_without_a_contact_the_suspension_is_still_named() -> None:
    account("mallory", active=False, verified=True, suspended=True)

    status, page = log_in("mallory")

    assert status == 200
    assert "This account is suspended." in page and "write to" not in page


def test_an_account_never_verified_is_sent_to_its_confirmation_mail() -> None:
    account("newbie", active=False, verified=False, suspended=False)

    status, page = log_in("newbie")

    assert status == 200
    assert "not verified yet: open the link in the confirmation mail" in page
    assert WRONG not in page


def test_an_account_staff_turned_off_says_so() -> None:
    account("former", active=False, verified=True, suspended=False)

    status, page = log_in("former")

    assert status == 200
    assert "This account is off." in page and WRONG not in page


@pytest.mark.parametrize("username", ["mallory", "newbie", "ada", "nobody"])
def test_a_wrong_password_learns_nothing_about_the_account(username: str) -> None:
    account("mallory", active=False, verified=True, suspended=True)
    account("newbie", active=False, verified=False, suspended=False)
    account("ada", active=True, verified=True, suspended=False)

    status, page = log_in(username, "not the password")

    assert status == 200
    assert WRONG in page
    assert "suspended" not in page and "verified" not in page


def test_an_active_member_still_logs_in() -> None:
    account("ada", active=True, verified=True, suspended=False)
    client = Client(HTTP_HOST="127.0.0.1")

    response = client.post("/login", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="ada").pk)
