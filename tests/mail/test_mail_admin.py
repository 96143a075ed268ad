"""Staff see the account-mail outbox in /admin/ (docs/configuration.md, "Mail"): each
mail's kind, recipient, state and last error, never its body (its link opens an
account), and cannot add or change a row."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from paperwire.mail.models import Mail
from paperwire.mail.outbox import queue_mail

pytestmark = pytest.mark.django_db

SECRET_LINK = "http://127.0.0.1:8000/reset/MQ/secret-token-123/"


def test_staff_see_account_mail_and_why_it_failed(admin_client: Client) -> None:
    with transaction.atomic():
        mail = queue_mail(
            "ada@example.org",
            "Reset your paperwire password",
            f"Open {SECRET_LINK} to choose a new password.",
            kind="reset",
            html=f'<a href="{SECRET_LINK}">reset</a>',
        )
    Mail.objects.filter(pk=mail.pk).update(
        attempts=2, last_error="SMTP 451: try again later", status=Mail.QUEUED
    )

    index = admin_client.get("/admin/")
    assert index.status_code == 200
    assert b'href="/admin/mail/mail/"' in index.content

    listing = admin_client.get("/admin/mail/mail/")
    assert listing.status_code == 200
    assert b"ada@example.org" in listing.content
    assert b"Reset your paperwire password" in listing.content

    found = admin_client.get("/admin/mail/mail/?q=ada%40example.org&status=queued")
    assert found.status_code == 200 and b"ada@example.org" in found.content

    detail = admin_client.get(f"/admin/mail/mail/{mail.pk}/change/")
    assert detail.status_code == 200
    assert b"SMTP 451: try again later" in detail.content
    assert b"secret-token-123" not in detail.content


def test_staff_cannot_add_or_change_a_mail(admin_client: Client) -> None:
    mail = queue_mail("ada@example.org", "Confirm", "body", kind="verify")

    assert admin_client.get("/admin/mail/mail/add/").status_code == 403
    before = Mail.objects.get(pk=mail.pk).subject
    admin_client.post(f"/admin/mail/mail/{mail.pk}/change/", {"subject": "changed"})
    assert Mail.objects.get(pk=mail.pk).subject == before
