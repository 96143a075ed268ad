"""Delivering digests exactly once: compose into the outbox, then send what is due.

Composition inserts one row per (subscriber, period); the unique constraint makes a
second run find the rows instead of adding any. Sending (paperwire.mail.sending, shared
with account mail) claims one row at a time with a conditional UPDATE (queued ->
sending), hands it to SMTP, and marks it sent at once: a process killed mid-run leaves at
most the one row it was sending in "sending". A restart on the same host sends it again
at once (its sender is dead); a sender on another host takes it over when the claim's
10-minute lease has run out. The only duplicate possible is a kill in the instant
between the SMTP server's acceptance and that commit, and the copy carries the same
Message-ID, so mail systems can recognize it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from paperwire.digests.compose import PeriodPapers, compose, email_for, message_id_for
from paperwire.digests.models import DigestMessage, Subscription
from paperwire.digests.periods import period_key
from paperwire.mail import sending
from paperwire.mail.sending import SendSummary
from paperwire.papers.feed import FeedPeriod


@dataclass
class RunSummary(SendSummary):
    composed: int = 0
    already_composed: int = 0
    empty: int = 0

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
    papers.prepare_for_you(
        list(subscribers.filter(for_you=True).exclude(pk__in=done).select_related("user"))
    )
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


def _unsubscribed(message: DigestMessage) -> str | None:
    # Unsubscribed after composition: never send.
    if message.subscription.status != Subscription.ACTIVE:
        return "unsubscribed before sending"
    return None


def claim_due() -> DigestMessage | None:
    """Claim the next due digest for this process (see paperwire.mail.sending)."""
    return sending.claim_one(DigestMessage)


def send_due(*, summary: RunSummary, progress: Progress | None = None) -> None:
    """Send every due outbox row, claimed one at a time, over one SMTP connection."""
    sending.send_due(
        DigestMessage,
        email_for,
        summary=summary,
        skip=_unsubscribed,
        progress=progress,
    )
