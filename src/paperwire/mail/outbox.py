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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
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
# Work handed to the thread and not finished (work may hand on more work).
_pending = 0
_idle = threading.Condition(_executor_lock)


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
    in_background(send_due_mail, only=pk)


def in_background(work: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Run `work` in this process's mail thread, with its own database connection; what
    it leaves undone (an error, a process that dies) the worker takes up later."""
    global _executor, _pending
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperwire-mail")
        _pending += 1
        _executor.submit(_run, work, args, kwargs)


def _run(work: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    global _pending
    close_old_connections()
    try:
        work(*args, **kwargs)
    except Exception:  # the worker retries whatever this left undone
        log.exception("%s failed in the background; the worker will retry", work.__name__)
    finally:
        connections.close_all()
        with _idle:
            _pending -= 1
            _idle.notify_all()


def wait_for_deliveries(timeout: float = 60) -> bool:
    """Block until the mail thread has nothing left to do, including what its work
    handed on (tests). False if it was still busy after `timeout` seconds."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout=timeout)
