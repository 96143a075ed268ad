"""Outbox rows: one per mail, sent by whichever process claims it first."""

from __future__ import annotations

from django.db import models


class OutgoingMail(models.Model):
    """What every outbox row has: the mail itself and its delivery state.

    A row is claimed (queued -> sending) by one sender at a time with a conditional
    UPDATE, then marked sent or failed; see paperwire.mail.sending."""

    QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
    STATUSES = [
        (QUEUED, "queued"),
        (SENDING, "being sent"),
        (SENT, "sent"),
        (FAILED, "failed permanently"),
    ]

    status = models.CharField(max_length=16, choices=STATUSES, default=QUEUED)
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    message_id = models.CharField(max_length=300)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # "host:pid" of the sender holding the claim, to release claims of dead processes.
    claimed_by = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Mail(OutgoingMail):
    """An account or subscription mail: verification, password reset, confirmation."""

    kind = models.CharField(max_length=32, help_text="verify, reset, subscribe, …")
    # Extra headers (Auto-Submitted, …) as a JSON object.
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mail_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email}: {self.status}"
