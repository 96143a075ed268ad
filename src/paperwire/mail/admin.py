"""Account and subscription mail in /admin/ (docs/configuration.md, "Mail"): what is
queued, sent or failing, and why, so staff can see a mail server's trouble.

The bodies are left out: a verification, reset or address-change mail holds a link
that opens the account it is for, and staff who may read the outbox need not hold
every member's account. The recipient's own mailbox has them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from paperwire.mail.models import Mail


@admin.register(Mail)
class MailAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created"
    FIELDS = (
        "kind",
        "to_email",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created",
        "sent_at",
        "message_id",
    )
    fields = FIELDS
    readonly_fields = FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Mail is queued by what it is about (a sign-up, a reset), in that transaction.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
