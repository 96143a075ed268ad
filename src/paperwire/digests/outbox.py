"""Delivering digests exactly once: compose into the outbox, then send what is due.

Composition inserts one row per (subscriber, period); the unique constraint makes a
second run find the rows instead of adding any. Sending claims a row with a
conditional UPDATE (queued -> sending), hands it to SMTP, and marks it sent at once.
A process killed mid-batch leaves at most the one row it was sending in "sending";
the next run on the same host sees that its sender is dead and sends it again (rows
of a sender on another host wait for the lease to expire). The only duplicate possible is a
kill in the instant between the SMTP server's acceptance and that commit, and the
copy carries the same Message-ID, so mail systems can recognize it.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db import connections, transaction
from django.utils import timezone

from paperwire.digests.compose import PeriodPapers, compose, email_for, message_id_for
from paperwire.digests.models import DigestMessage, Subscription
from paperwire.digests.periods import period_key
from paperwire.papers.feed import FeedPeriod

MAX_ATTEMPTS = 6
LEASE = dt.timedelta(minutes=10)


@dataclass
class RunSummary:
    composed: int = 0
    already_composed: int = 0
    empty: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"composed {self.composed} (already {self.already_composed}, empty {self.empty}); "
            f"sent {self.sent}, will retry {self.retrying}, failed {self.failed}"
        )


Progress = Callable[[int], None]


def compose_period(
    frequency: str, period: FeedPeriod, *, summary: RunSummary, progress: Progress | None = None
) -> None:
    """Put one digest per active subscriber of this frequency into the outbox."""
    key = period_key(frequency, period)
    papers = PeriodPapers(period)
    done = set(DigestMessage.objects.filter(period=key).values_list("subscription_id", flat=True))
    subscribers = Subscription.objects.filter(status=Subscription.ACTIVE, frequency=frequency)
    now = timezone.now()
    pending: list[DigestMessage] = []
    for sub in subscribers.order_by("pk").iterator(chunk_size=500):
        if progress:
            progress(1)
        if sub.pk in done:
            summary.already_composed += 1
            continue
        digest = compose(sub, papers)
        pending.append(
            DigestMessage(
                subscription=sub,
                period=key,
                to_email=sub.email,
                message_id=message_id_for(sub.pk, key),
                next_attempt_at=now,
                status=DigestMessage.QUEUED if digest else DigestMessage.EMPTY,
                subject=digest.subject if digest else "",
                text_body=digest.text if digest else "",
                html_body=digest.html if digest else "",
                paper_ids=digest.paper_ids if digest else [],
            )
        )
        if len(pending) >= 500:
            _insert(pending, summary)
    _insert(pending, summary)


def _insert(rows: list[DigestMessage], summary: RunSummary) -> None:
    """Insert composed rows; a row another process inserted first is skipped by the
    unique (subscription, period) key, the idempotency key at work."""
    if not rows:
        return
    with transaction.atomic():
        DigestMessage.objects.bulk_create(rows, ignore_conflicts=True)
    for row in rows:
        if row.status == DigestMessage.EMPTY:
            summary.empty += 1
        else:
            summary.composed += 1
    rows.clear()


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(claimer: str) -> bool:
    host, _, pid = claimer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims() -> int:
    """Put rows back in the queue whose sender died: on this host at once, else after the
    lease. Returns how many."""
    now = timezone.now()
    stale = DigestMessage.objects.filter(status=DigestMessage.SENDING)
    released = stale.filter(claimed_at__lt=now - LEASE).update(status=DigestMessage.QUEUED)
    for pk, claimer in stale.values_list("pk", "claimed_by"):
        if claimer and not _alive(claimer):
            released += DigestMessage.objects.filter(
                pk=pk, status=DigestMessage.SENDING, claimed_by=claimer
            ).update(status=DigestMessage.QUEUED)
    return released


def claim_due(limit: int) -> list[int]:
    """Ids of rows due now, claimed for this process (conditional UPDATE, no double claim)."""
    now = timezone.now()
    release_dead_claims()
    due = DigestMessage.objects.filter(
        status=DigestMessage.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    me = _this_process()
    with transaction.atomic():
        if connections[due.db].features.has_select_for_update_skip_locked:
            # PostgreSQL: senders running at once take different rows instead of queueing
            # behind each other's locks (SQLite has one writer; the UPDATE below suffices).
            due = due.select_for_update(skip_locked=True)
        candidates = list(due.values_list("pk", flat=True)[:limit])
        # One conditional UPDATE: a row another sender claimed meanwhile is no longer QUEUED.
        DigestMessage.objects.filter(pk__in=candidates, status=DigestMessage.QUEUED).update(
            status=DigestMessage.SENDING, claimed_at=now, claimed_by=me
        )
    mine = DigestMessage.objects.filter(
        pk__in=candidates, status=DigestMessage.SENDING, claimed_by=me, claimed_at=now
    )
    return sorted(mine.values_list("pk", flat=True))


def send_due(*, summary: RunSummary, batch: int = 200, progress: Progress | None = None) -> None:
    """Send every due outbox row, one SMTP connection per batch."""
    while True:
        ids = claim_due(batch)
        if not ids:
            return
        connection = get_connection()
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            _release(ids, f"cannot reach the mail server: {exc}", summary)
            return
        messages = DigestMessage.objects.select_related("subscription").filter(pk__in=ids)
        try:
            for message in messages.order_by("pk"):
                _send_one(connection, message, summary)
                if progress:
                    progress(1)
        finally:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):
                pass


def _send_one(connection: object, message: DigestMessage, summary: RunSummary) -> None:
    pk = message.pk
    if message.subscription.status != Subscription.ACTIVE:
        # Unsubscribed after composition: never send.
        DigestMessage.objects.filter(pk=pk).update(
            status=DigestMessage.FAILED, last_error="unsubscribed before sending"
        )
        summary.failed += 1
        return
    try:
        sent = connection.send_messages([email_for(message)])  # type: ignore[attr-defined]
        if not sent:
            raise smtplib.SMTPException("the mail server accepted nothing")
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        _record_failure(message, exc, summary)
        return
    DigestMessage.objects.filter(pk=pk).update(
        status=DigestMessage.SENT, sent_at=timezone.now(), attempts=message.attempts + 1
    )
    summary.sent += 1


def _record_failure(message: DigestMessage, exc: Exception, summary: RunSummary) -> None:
    attempts = message.attempts + 1
    text = f"{type(exc).__name__}: {exc}"[:2000]
    if _permanent(exc) or attempts >= MAX_ATTEMPTS:
        status = DigestMessage.FAILED
        summary.failed += 1
        summary.errors.append(f"{message.to_email}: {text}")
    else:
        status = DigestMessage.QUEUED
        summary.retrying += 1
    backoff = dt.timedelta(minutes=2**attempts)
    DigestMessage.objects.filter(pk=message.pk).update(
        status=status,
        attempts=attempts,
        last_error=text,
        next_attempt_at=timezone.now() + backoff,
    )


def _release(ids: list[int], error: str, summary: RunSummary) -> None:
    DigestMessage.objects.filter(pk__in=ids).update(
        status=DigestMessage.QUEUED,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(minutes=1),
    )
    summary.retrying += len(ids)
    summary.errors.append(error)
