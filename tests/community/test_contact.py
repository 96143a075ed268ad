"""PAPERWIRE_CONTACT_EMAIL: where people reach those who run the site, in the footer, on
/about, in the notice of a changed address and on a suspended account's page; shown
nowhere when unset."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from paperwire.community.models import Profile
from paperwire.community.signups import queue_template_mail
from support import delivered_mail

pytestmark = pytest.mark.django_db
CONTACT = "moderators@example.org"


@override_settings(PAPERWIRE_CONTACT_EMAIL=CONTACT)
def test_pages_and_notices_name_the_contact(client: Client) -> None:
    assert f'<a href="mailto:{CONTACT}">Contact</a>' in client.get("/").content.decode()
    about = client.get("/about").content.decode()
    assert '<h2 id="contact">Contact</h2>' in about and f">{CONTACT}</a>" in about

    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase 12")
    context = {"user": user, "new_email": "ada@new.example.org", "settings_url": "http://x/s"}
    queue_template_mail(
        "ada@example.org", "registration/email_changed_notice.txt", "email-changed", context
    )
    (notice,) = delivered_mail()
    assert f"({CONTACT})" in notice.body


def test_no_contact_shown_when_unset(client: Client) -> None:
    assert "mailto:" not in client.get("/").content.decode()
    assert 'id="contact"' not in client.get("/about").content.decode()


@override_settings(PAPERWIRE_CONTACT_EMAIL=CONTACT)
def test_a_suspended_account_is_told_whom_to_ask(client: Client) -> None:
    from paperwire.community.signups import verification_token

    user = User.objects.create_user("mallory", "m@example.org", "a long passphrase 12")
    Profile.objects.create(user=user, suspended=True)
    response = client.get(f"/verify/{verification_token(user)}")

    assert response.status_code == 403
    assert f"To ask why, write to {CONTACT}." in response.content.decode()
