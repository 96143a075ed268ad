"""Password resets, done off the request so the page takes the same time whether or not
the address has an account (a reset mail is rendered, stored and sent only for one).

The request stores a ResetRequest (the same work for every address) and, once that
commits, this process's mail thread looks the address up and queues the reset mail
through the outbox. A request whose process died first is taken up by the worker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from paperwire.community import signups
from paperwire.community.models import ResetRequest
from paperwire.mail.outbox import in_background, queue_mail

SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
BODY_TEMPLATE = "registration/password_reset_email.txt"
# A request not taken up by now (its process died) is the worker's.
ABANDONED = dt.timedelta(minutes=2)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, its mail queued in the outbox instead of sent at once."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = render_to_string(subject_template_name, context)
        body = render_to_string(email_template_name, context)
        queue_mail(to_email, subject, body, kind="reset")


def valid_for() -> str:
    """How long a reset link works (Django's PASSWORD_RESET_TIMEOUT), as the mail says it."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, seconds // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def request_reset(email: str, domain: str, use_https: bool) -> None:
    """Store the request; it is done in the background once the transaction commits."""
    reset = ResetRequest.objects.create(email=email[:254], domain=domain[:255], use_https=use_https)
    transaction.on_commit(lambda: in_background(do_reset, reset.pk))


def do_reset(pk: int) -> None:
    """Claim request `pk` and queue a reset mail to each active account of its address
    (none for an unknown address: nothing tells the two apart from outside)."""
    now = timezone.now()
    stale = now - ABANDONED
    with transaction.atomic():
        claimed = (
            ResetRequest.objects.filter(pk=pk)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
            .update(claimed_at=now)
        )
        if not claimed:
            return
        reset = ResetRequest.objects.get(pk=pk)
        form = OutboxPasswordResetForm({"email": reset.email})
        if form.is_valid():
            form.save(
                domain_override=reset.domain,
                use_https=reset.use_https,
                subject_template_name=SUBJECT_TEMPLATE,
                email_template_name=BODY_TEMPLATE,
                extra_email_context={"site_name": settings.SITE_NAME, "valid_for": valid_for()},
            )
            _resend_verification(reset)
        reset.delete()


def _resend_verification(reset: ResetRequest) -> None:
    """An address whose account was never confirmed gets no reset (the account cannot
    log in), but a fresh confirmation link: its owner, who lost the first mail, asks
    here; silence would leave them stuck. Sent off the request, as the reset is."""
    user = signups.account_of(reset.email)
    if user is None or not signups.unverified_accounts().filter(pk=user.pk).exists():
        return
    scheme = "https" if reset.use_https else "http"
    path = reverse("verify_email", args=[signups.verification_token(user)])
    signups.send_verification(user, f"{scheme}://{reset.domain}{path}")


def do_abandoned_resets() -> int:
    """The worker's part: requests whose process died before doing them."""
    stale = timezone.now() - ABANDONED
    pending = ResetRequest.objects.filter(
        Q(claimed_at__isnull=True, created__lt=stale) | Q(claimed_at__lt=stale)
    )
    done = 0
    for pk in pending.values_list("pk", flat=True)[:100]:
        do_reset(pk)
        done += 1
    return done
