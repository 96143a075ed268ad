"""E-mail subscriptions and the outbox digests are delivered from."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from paperwire.mail.models import OutgoingMail


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


def subscription_email(address: str | None) -> str:
    """An address as a Subscription stores it, and is looked up by: trimmed, lower-case."""
    return (address or "").strip().lower()


class Subscription(models.Model):
    """One address's subscription: double opt-in, daily or weekly, with optional topics."""

    PENDING, ACTIVE, UNSUBSCRIBED = "pending", "active", "unsubscribed"
    STATUSES = [
        (PENDING, "waiting for confirmation"),
        (ACTIVE, "active"),
        (UNSUBSCRIBED, "unsubscribed"),
    ]
    DAILY, WEEKLY = "daily", "weekly"
    FREQUENCIES = [(DAILY, "Daily"), (WEEKLY, "Weekly")]

    email = models.EmailField(max_length=254, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    frequency = models.CharField(max_length=8, choices=FREQUENCIES, default=DAILY)
    # {"categories": [...], "keywords": [...], "authors": [...], "organizations": [...]}
    topics = models.JSONField(default=dict, blank=True)
    # A member's digest also lists the papers "For you" ranks highest (paperwire.recommend).
    for_you = models.BooleanField(default=False)
    # Secret part of the personal feed's URL; rotating it revokes old feed URLs.
    feed_token = models.CharField(max_length=64, unique=True, default=_feed_token)
    created = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Confirmation mails sent, to refuse mail-bombing an address through the form.
    confirmations_sent = models.PositiveIntegerField(default=0)
    last_confirmation_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "frequency"], name="sub_status_freq_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.status}, {self.frequency})"

    def topic_list(self, kind: str) -> list[str]:
        value = (self.topics or {}).get(kind) or []
        return [str(v) for v in value if str(v).strip()]


class DigestMessage(OutgoingMail):
    """One digest for one subscriber and one period: the outbox row.

    The unique key (subscription, period) is the idempotency key: composing the
    same period twice finds the row and sends nothing more.
    """

    EMPTY = "empty"
    STATUSES = [*OutgoingMail.STATUSES, (EMPTY, "nothing to send")]

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    period = models.CharField(max_length=32, help_text="daily:2026-01-05 or weekly:2026-W02")
    status = models.CharField(max_length=16, choices=STATUSES, default=OutgoingMail.QUEUED)
    paper_ids = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="digest_once_per_period"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_due_idx")]

    def __str__(self) -> str:
        return f"{self.period} to {self.to_email}: {self.status}"
