"""Every mail's Date header carries the site's real UTC offset: "+0000", never "-0000",
which RFC 5322 (3.3) reserves for a time whose zone is unknown."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from paperwire.mail.outbox import queue_mail

from .conftest import Inbox
from .helpers import add_papers, subscriber

pytestmark = pytest.mark.django_db


def _dated_in_utc(mail: object) -> None:
    header = mail["Date"]  # type: ignore[index]
    assert str(header).endswith(" +0000"), str(header)
    stamp = header.datetime
    assert stamp.utcoffset() == dt.timedelta(0), str(header)  # aware, zone known
    assert abs(stamp - timezone.now()) < dt.timedelta(minutes=5)


def test_a_digest_is_dated_in_utc(inbox: Inbox) -> None:
    add_papers()
    subscriber("ada@example.org")
    call_command("digest", "send", "--period", "daily:2026-01-05", stdout=StringIO())
    [mail] = inbox.messages
    _dated_in_utc(mail)


def test_an_account_mail_is_dated_in_utc(inbox: Inbox) -> None:
    with transaction.atomic():
        queue_mail("bo@example.org", "Confirm your address", "Open the link.", kind="verify")
    [mail] = inbox.to("bo@example.org")
    _dated_in_utc(mail)
