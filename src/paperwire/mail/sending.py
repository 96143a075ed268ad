"""Sending outbox rows exactly once, for any outbox model (account mail, digests).

A sender claims one row at a time with a conditional UPDATE (queued -> sending), hands
it to the mail backend and marks it sent at once; so a sender killed mid-run leaves at
most the one row it was sending in "sending". The next run on the same host sees that
its sender is dead and sends that row again; a row of a sender on another host waits
for the lease to expire. The only duplicate possible is a kill in the instant between
the SMTP server's acceptance and that commit, and the copy carries the same
Message-ID, so mail systems can recognize it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from paperwire.mail.models import OutgoingMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = dt.timedelta(minutes=10)

Row = TypeVar("Row", bound=OutgoingMail)
Progress = Callable[[int], None]


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"sent {self.sent}, will retry {self.retrying}, failed {self.failed}"


def permanent(exc: Exception) -> bool:
    """True for an SMTP answer that retrying cannot change (5xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimer_alive(claimer: str) -> bool:
    """False only when `claimer` ("host:pid") names a process of this machine that has
    ended; a process of another machine may be alive as far as we can tell."""
    host, _, pid = claimer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only its lease can tell
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims(model: type[OutgoingMail]) -> int:
    """Put rows back in the queue whose sender died: on this host at once, else after
    the lease. Returns how many."""
    now = timezone.now()
    stale = model._default_manager.filter(status=OutgoingMail.SENDING)
    released = stale.filter(claimed_at__lt=now - LEASE).update(status=OutgoingMail.QUEUED)
    for pk, claimer in stale.values_list("pk", "claimed_by"):
        if claimer and not claimer_alive(claimer):
            released += model._default_manager.filter(
                pk=pk, status=OutgoingMail.SENDING, claimed_by=claimer
            ).update(status=OutgoingMail.QUEUED)
    return released


def claim_one(model: type[Row], pk: int | None = None) -> Row | None:
    """Claim the next due row (or row `pk`, if it is due) for this process; None when
    there is none. One conditional UPDATE: a row another sender claimed meanwhile is no
    longer queued, so no row is claimed twice."""
    now = timezone.now()
    due = model._default_manager.filter(status=OutgoingMail.QUEUED, next_attempt_at__lte=now)
    if pk is not None:
        due = due.filter(pk=pk)
    me = this_process()
    while True:
        with transaction.atomic(using=due.db):
            if connections[due.db].features.has_select_for_update_skip_locked:
                # PostgreSQL: senders running at once take different rows instead of
                # queueing behind each other's locks (SQLite has one writer anyway).
                due = due.select_for_update(skip_locked=True)
            candidate = due.order_by("next_attempt_at", "pk").values_list("pk", flat=True).first()
            if candidate is None:
                return None
            won = model._default_manager.filter(pk=candidate, status=OutgoingMail.QUEUED).update(
                status=OutgoingMail.SENDING, claimed_at=now, claimed_by=me
            )
        if won:
            return model._default_manager.get(pk=candidate)
        if pk is not None:
            return None


def send_due(
    model: type[Row],
    build: Callable[[Row], EmailMessage],
    *,
    summary: SendSummary,
    skip: Callable[[Row], str | None] = lambda row: None,
    progress: Progress | None = None,
    only: int | None = None,
) -> None:
    """Send every due row of `model` (or just row `only`), one backend connection for
    all of them. `build` makes the mail of a row; `skip` names a reason not to send it."""
    release_dead_claims(model)
    connection: Any = None
    try:
        while (row := claim_one(model, only)) is not None:
            if connection is None:
                connection = get_connection()
                try:
                    connection.open()
                except (OSError, smtplib.SMTPException) as exc:
                    _give_back(row, f"cannot reach the mail server: {exc}", summary)
                    return
            _send_row(connection, row, build, skip, summary)
            if progress:
                progress(1)
            if only is not None:
                return
    finally:
        if connection is not None:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):
                pass


def _send_row(
    connection: Any,
    row: Row,
    build: Callable[[Row], EmailMessage],
    skip: Callable[[Row], str | None],
    summary: SendSummary,
) -> None:
    reason = skip(row)
    if reason:
        type(row)._default_manager.filter(pk=row.pk).update(
            status=OutgoingMail.FAILED, last_error=reason
        )
        summary.failed += 1
        return
    try:
        sent = connection.send_messages([build(row)])
        if not sent:
            raise smtplib.SMTPException("the mail server accepted nothing")
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        record_failure(row, exc, summary)
        return
    type(row)._default_manager.filter(pk=row.pk).update(
        status=OutgoingMail.SENT, sent_at=timezone.now(), attempts=row.attempts + 1
    )
    summary.sent += 1


def record_failure(row: OutgoingMail, exc: Exception, summary: SendSummary) -> None:
    """Retry later with exponential backoff, or give up on a permanent error."""
    attempts = row.attempts + 1
    text = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent(exc) or attempts >= MAX_ATTEMPTS:
        status = OutgoingMail.FAILED
        summary.failed += 1
        summary.errors.append(f"{row.to_email}: {text}")
        log.error("gave up sending %r to %s: %s", row.subject, row.to_email, text)
    else:
        status = OutgoingMail.QUEUED
        summary.retrying += 1
        log.warning("could not send %r to %s (will retry): %s", row.subject, row.to_email, text)
    backoff = dt.timedelta(minutes=2**attempts)
    type(row)._default_manager.filter(pk=row.pk).update(
        status=status,
        attempts=attempts,
        last_error=text,
        next_attempt_at=timezone.now() + backoff,
    )


def _give_back(row: OutgoingMail, error: str, summary: SendSummary) -> None:
    """The mail server is unreachable: the row goes back to the queue for a minute."""
    try:
        type(row)._default_manager.filter(pk=row.pk).update(
            status=OutgoingMail.QUEUED,
            last_error=error,
            next_attempt_at=timezone.now() + dt.timedelta(minutes=1),
        )
    except DatabaseError:
        log.exception("could not give back outbox row %s", row.pk)
    summary.retrying += 1
    summary.errors.append(error)
    log.warning("%s; %r to %s waits in the outbox", error, row.subject, row.to_email)
