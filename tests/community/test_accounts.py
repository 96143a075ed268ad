"""Sign-up with e-mail verification, log in, password reset, settings, profiles."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community.models import Profile
from support import delivered_mail

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def signup(client: Client, username: str = "grace", email: str = "grace@example.org"):
    return client.post("/signup", {"username": username, "email": email, "password": PASSWORD})


def link_in(body: str) -> str:
    found = re.search(r"https?://\S+", body)
    assert found, body
    return found.group(0)


@pytest.mark.production_password_hasher  # the stored hash is the site's Argon2
def test_signup_verify_then_login(anon: Client, clean_cache: None) -> None:
    response = signup(anon)
    assert response.status_code == 302 and response["Location"] == "/signup/sent"
    user = User.objects.get(username="grace")
    assert not user.is_active and user.password.startswith("argon2")

    assert not anon.login(username="grace", password=PASSWORD)
    assert len(delivered_mail()) == 1 and delivered_mail()[0].to == ["grace@example.org"]
    link = link_in(delivered_mail()[0].body)
    assert "/verify/" in link
    # The account exists from the sign-up on: the mail says what becomes of it unconfirmed
    # (signups.delete_unverified_accounts removes it after UNVERIFIED_DAYS).
    body = " ".join(delivered_mail()[0].body.split())
    assert "no account is made" not in body
    assert (
        "until the address is confirmed the account cannot be used, and after 7 days "
        "without it the account is deleted." in body
    )

    page = anon.get(link.split("127.0.0.1", 1)[-1])
    assert page.status_code == 200 and b"Your address is confirmed" in page.content
    assert Profile.objects.get(user__username="grace").email_verified

    login = anon.post("/login", {"username": "grace", "password": PASSWORD, "next": "/u/grace"})
    assert login.status_code == 302 and login["Location"] == "/u/grace"
    assert b"Log out" in anon.get("/u/grace").content


def test_logging_in_before_confirming_says_the_link_is_missing(
    anon: Client, make_member, clean_cache: None
) -> None:
    """The newcomer's password is right: the page must not tell them it is wrong."""
    signup(anon)
    page = anon.post("/login", {"username": "grace", "password": PASSWORD})
    text = " ".join(page.content.decode().split())
    assert page.status_code == 200 and "_auth_user_id" not in anon.session
    assert "not verified yet: open the link in the confirmation mail" in text
    assert "enter a correct username and password" not in text
    # A wrong password says nothing about the account; a suspended one is named so.
    wrong = anon.post("/login", {"username": "grace", "password": "not it at all 42"})
    assert "enter a correct username and password" in wrong.content.decode()
    assert "not verified" not in wrong.content.decode()
    suspended = make_member("hopper")
    Profile.objects.filter(user=suspended).update(suspended=True)
    User.objects.filter(pk=suspended.pk).update(is_active=False)
    refused = anon.post("/login", {"username": "hopper", "password": PASSWORD})
    assert "not verified" not in refused.content.decode()
    assert "This account is suspended." in refused.content.decode()
    # Once the link is opened, the same password logs in.
    anon.get(link_in(delivered_mail()[0].body).split("127.0.0.1", 1)[-1])
    login = anon.post("/login", {"username": "grace", "password": PASSWORD})
    assert login.status_code == 302


def test_the_sign_up_link_opened_again_later_says_the_account_is_ready(
    anon: Client, clean_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weeks on, someone re-opens their sign-up mail to find the site again: the link
    is too old, and their address or password may have changed, but the account is
    fine; they must not be told to sign up again."""
    from paperwire.community import signups

    signup(anon)
    path = link_in(delivered_mail()[0].body).split("127.0.0.1", 1)[-1]
    assert anon.get(path).status_code == 200
    monkeypatch.setattr(signups, "VERIFY_MAX_AGE", -1)  # every link is expired now
    User.objects.filter(username="grace").update(email="grace@elsewhere.example")
    again = anon.get(path)
    text = " ".join(again.content.decode().split())
    assert again.status_code == 200, text[:300]
    assert "The account grace was confirmed already" in text and "sign up again" not in text
    # A tampered link, and the expired link of an account never confirmed, are refused.
    assert anon.get(path[:-2] + "xx").status_code == 400
    signup(anon, "hopper", "hopper@example.org")
    expired = anon.get(link_in(delivered_mail()[-1].body).split("127.0.0.1", 1)[-1])
    assert expired.status_code == 400 and "sign up again" in expired.content.decode()


def test_a_tampered_verification_link_is_400(anon: Client) -> None:
    response = anon.get("/verify/eyJ1IjoxfQ:forged:signature")
    assert response.status_code == 400 and b"invalid or has expired" in response.content


def test_signup_does_not_reveal_a_registered_email(
    anon: Client, make_member, clean_cache: None
) -> None:
    make_member("ada")
    taken = signup(anon, "someone", "ada@example.org")
    fresh = signup(anon, "other", "other@example.org")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert not User.objects.filter(username="someone").exists()
    to_ada = [m for m in delivered_mail() if m.to == ["ada@example.org"]]
    assert len(to_ada) == 1 and "already has an account" in to_ada[0].body


def test_signup_form_errors(anon: Client, make_member, clean_cache: None) -> None:
    make_member("ada")
    response = anon.post("/signup", {"username": "ada", "email": "bad", "password": "123"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This username is taken" in html and "Enter a valid email address" in html
    empty = anon.post("/signup", {"username": "", "email": "", "password": ""})
    assert empty.status_code == 400 and b"This field is required" in empty.content
    weak = anon.post("/signup", {"username": "zed", "email": "z@example.org", "password": "zed"})
    assert weak.status_code == 400 and b"too short" in weak.content


@pytest.mark.parametrize("username", ["ada", "not a name!"])
def test_signup_shows_every_fields_error_at_once(
    anon: Client, make_member, clean_cache: None, username: str
) -> None:
    """A taken or malformed username does not hide a short password: fixing one field
    should not reveal the next error only after sending the form again."""
    make_member("ada")
    response = anon.post("/signup", {"username": username, "email": "bad", "password": "123"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This username is taken" in html or "Enter a valid username" in html
    assert "Enter a valid email address" in html
    assert "This password is too short" in html
    assert not User.objects.filter(email="bad").exists()


def test_password_reset_does_not_reveal_and_works(
    anon: Client, make_member, clean_cache: None
) -> None:
    make_member("ada")
    known = anon.post("/password-reset", {"email": "ada@example.org"})
    unknown = anon.post("/password-reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password-reset/sent"
    assert len(delivered_mail()) == 1
    # The mail says how long the link works (Django's PASSWORD_RESET_TIMEOUT, 3 days).
    assert "To do so, open this link within 3 days:" in delivered_mail()[0].body
    link = link_in(delivered_mail()[0].body).split("127.0.0.1", 1)[-1]
    form = anon.get(link, follow=True)
    assert b"Set a new password" in form.content
    done = anon.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert done.status_code == 302
    assert anon.login(username="ada", password="a brand new passphrase")


def test_password_reset_for_an_unconfirmed_account_sends_a_fresh_confirmation_link(
    anon: Client, clean_cache: None
) -> None:
    """Someone who lost their sign-up mail asks for a reset: a reset cannot help (the
    account cannot log in), so a new confirmation link comes instead of silence."""
    signup(anon)
    assert len(delivered_mail()) == 1
    answer = anon.post("/password-reset", {"email": "Grace@Example.org"})
    assert answer.status_code == 302 and answer["Location"] == "/password-reset/sent"
    assert len(delivered_mail()) == 2
    mail = delivered_mail()[1]
    assert mail.to == ["grace@example.org"] and "/reset/" not in mail.body
    link = link_in(mail.body)
    assert "/verify/" in link
    page = anon.get(link.split("127.0.0.1", 1)[-1])
    assert page.status_code == 200 and b"Your address is confirmed" in page.content
    assert anon.login(username="grace", password=PASSWORD)


def test_profile_page_lists_activity(member_client: Client, member, feed_paper) -> None:
    member_client.post("/settings", {"display_name": "Ada L.", "bio": "Counts.", "links": ""})
    member_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    member_client.post("/papers/2401.01234/comments", {"body": "Lovely *machine*."})
    html = Client(HTTP_HOST="127.0.0.1").get("/u/ada").content.decode()
    assert "Ada L." in html and "Counts." in html
    assert html.count("Structured State Spaces, Revisited") >= 2
    assert "<em>machine</em>" in html


def test_a_profile_names_its_member_once_without_a_display_name(
    anon: Client, member_client: Client, member
) -> None:
    """No display name: the heading is the username, with no "@ada" above it saying the
    same again; a display name keeps the handle above it."""
    html = anon.get("/u/ada").content.decode()
    assert '<h1 id="profile-heading">ada</h1>' in html
    assert "@ada" not in html
    member_client.post("/settings", {"display_name": "ada", "bio": "", "links": ""})
    assert "@ada" not in anon.get("/u/ada").content.decode()
    member_client.post("/settings", {"display_name": "Ada L.", "bio": "", "links": ""})
    html = anon.get("/u/ada").content.decode()
    assert '<p class="eyebrow">@ada</p>' in html
    assert '<h1 id="profile-heading">Ada L.</h1>' in html


def test_a_members_own_profile_leads_to_settings_by_that_name(
    member_client: Client, member, make_member
) -> None:
    """The API docs and the guides say "Settings → API tokens": the header's name leads to
    the profile, whose link to the settings says "Settings" and what is there."""
    html = member_client.get("/u/ada").content.decode()
    assert (
        '<a href="/settings">Settings</a>: your profile, e-mail digest, API tokens and data' in html
    )
    make_member("bo")
    assert 'href="/settings"' not in member_client.get("/u/bo").content.decode()
    assert 'title="ada: your profile and settings"' in html  # the header's link


def test_unknown_or_suspended_profiles_are_404(anon: Client, make_member) -> None:
    make_member("zed", is_active=False)
    assert anon.get("/u/nobody").status_code == 404
    assert anon.get("/u/zed").status_code == 404


def test_settings_needs_login(anon: Client) -> None:
    response = anon.get("/settings")
    assert response.status_code == 302 and response["Location"] == "/login?next=/settings"


def test_logout_is_a_post_and_get_shows_its_button(member_client: Client) -> None:
    page = member_client.get("/logout")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'method="post"' in html and ">Log out</button>" in html and "csrfmiddlewaretoken" in html
    assert member_client.get("/settings").status_code == 200  # GET logged nobody out
    assert member_client.post("/logout").status_code == 302
    assert member_client.get("/settings").status_code == 302


def test_login_page_keeps_site_name(anon: Client) -> None:
    assert b"<title>Log in \xc2\xb7 paperwire</title>" in anon.get("/login").content
