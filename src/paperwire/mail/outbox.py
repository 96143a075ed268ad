"""Account and subscription mail through the outbox.

`queue_mail` stores the mail in the current transaction, so a page never says "check
your inbox" for a mail that was not stored. Once the transaction commits, a background
thread of this process sends it at once; if the mail server refuses or cannot be
reached, the row stays queued and the worker (`paperwire worker`, which `serve` starts)
retries it with backoff. Nothing here raises into the request that asked for the mail.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from paperwire.mail.models import Mail
from paperwire.mail.sending import SendSummary, send_due

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def new_message_id() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    token = hashlib.sha256(secrets.token_bytes(16)).hexdigest()[:24]
    return f"<{token}@{domain}>"


def queue_mail(
    to: str,
    subject: str,
    text: str,
    *,
    kind: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> Mail:
    """Store one mail in the outbox; it is sent once the current transaction commits."""
    mail = Mail.objects.create(
        kind=kind,
        to_email=to,
        subject=" ".join(subject.split())[:300],
        text_body=text,
        html_body=html,
        headers=headers or {},
        message_id=new_message_id(),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: deliver_soon(mail.pk))
    return mail


def build_message(row: Mail) -> EmailMessage:
    headers = {"Message-ID": row.message_id, "Auto-Submitted": "auto-generated", **row.headers}
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers=headers,
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    return message


def send_due_mail(*, summary: SendSummary | None = None, only: int | None = None) -> SendSummary:
    """Send every due account mail (the worker's retry, and tests), or just row `only`."""
    summary = summary if summary is not None else SendSummary()
    send_due(Mail, build_message, summary=summary, only=only)
    return summary


def deliver_soon(pk: int) -> None:
    """Send outbox row `pk` in this process's mail thread, off the request's path."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperwire-mail")
        _executor.submit(_deliver, pk)


def _deliver(pk: int) -> None:
    close_old_connections()
    try:
        send_due_mail(only=pk)
    except Exception:  # the worker retries whatever this left queued
        log.exception("could not send outbox mail %s now; the worker will retry", pk)
    finally:
        connections.close_all()


def wait_for_deliveries() -> None:
    """Block until mail handed to this process's thread is sent (tests, shutdown)."""
    with _executor_lock:
        executor = _executor
    if executor is not None:
        executor.submit(lambda: None).result()
