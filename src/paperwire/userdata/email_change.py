"""Settings: change your e-mail address (community.address_change), and the page the
link in the new address's mail opens. Here, above both apps, the account's new address
and its digest subscription (digests.members) change in one transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from paperwire.community import address_change, ratelimit
from paperwire.community.accounts import NOT_STORED, TOO_MANY
from paperwire.community.forms import EmailChangeForm
from paperwire.community.views import _user
from paperwire.digests.members import Followed, follow_new_address, member_subscription
from paperwire.papers.error_page import error_page

log = logging.getLogger(__name__)

# The page after a change: what it says, kept in the session for one view (POST/redirect/GET).
CHANGED_KEY = "paperwire.email-changed"


def _form_page(request: HttpRequest, form: EmailChangeForm, status: int = 200) -> HttpResponse:
    user = _user(request)
    context = {
        "form": form,
        "pending": address_change.pending_change(user),
        "subscription": member_subscription(user),
        "hours": address_change.CHANGE_MAX_AGE // 3600,
    }
    response = render(request, "userdata/email_change.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "GET":
        return _form_page(request, EmailChangeForm(user))
    form = EmailChangeForm(user, request.POST)
    typed = str(request.POST.get("email", "")).strip()[:254]
    # Per client address and per new address (as sign-up counts), and per member, whose
    # password is tried here: the form can neither flood an inbox nor guess passwords.
    allowed = ratelimit.allowed(request, "email-change", typed or None)
    if not ratelimit.hit("email-change-member", str(user.pk)) or not allowed:
        form.errors.clear()
        form.add_error(None, TOO_MANY)
        return _form_page(request, form, status=429)
    if not form.is_valid():
        return _form_page(request, form, status=400)

    def link_for(token: str) -> str:
        return request.build_absolute_uri(reverse("email_change_confirm", args=[token]))

    try:
        with transaction.atomic():
            address_change.request_change(
                user,
                form.cleaned_data["email"],
                link_for=link_for,
                settings_url=request.build_absolute_uri(reverse("settings")),
                reset_url=request.build_absolute_uri(reverse("password_reset")),
            )
    except DatabaseError:
        log.exception("address change not stored")
        form.add_error(None, NOT_STORED)
        return _form_page(request, form, status=503)
    return redirect("email_change_sent")


@login_required
def change_email_sent(request: HttpRequest) -> HttpResponse:
    pending = address_change.pending_change(_user(request))
    if pending is None:
        return redirect("email_change")
    return render(request, "userdata/email_change_sent.html", {"pending": pending})


@login_required
@require_POST
def cancel_email_change(request: HttpRequest) -> HttpResponse:
    if address_change.cancel_change(_user(request)):
        messages.success(request, "The change of address is cancelled; its link no longer works.")
    return redirect("settings")


@require_http_methods(["GET", "POST"])
def confirm_email_change(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner's visit changes nothing); POST changes the address."""
    try:
        user, new_email = address_change.read_change_token(token)
    except address_change.BadLink as exc:
        return error_page(request, str(exc))
    if request.method == "GET":
        context = {"account": user, "new_email": new_email}
        return render(request, "userdata/email_change_confirm.html", context)
    settings_url = request.build_absolute_uri(reverse("settings"))
    try:
        with transaction.atomic():
            # Read again under the transaction: two clicks change the address once.
            user, new_email = address_change.read_change_token(token)
            old = address_change.apply_change(user, new_email, settings_url)
            followed = follow_new_address(user, old, new_email)
    except address_change.BadLink as exc:
        return error_page(request, str(exc))
    except address_change.AddressTaken:
        message = (
            f"{new_email} belongs to another account by now, and one address belongs to one "
            "account. Nothing was changed: this account keeps its address."
        )
        return error_page(request, message, status=409)
    except DatabaseError:
        log.exception("address change not stored")
        message = "The change could not be stored just now, so nothing was changed. Please "
        message += "open the link again in a minute."
        return error_page(request, message, status=503)
    request.session[CHANGED_KEY] = {
        "username": user.username,
        "email": new_email,
        "digest": followed.value,
    }
    return redirect("email_changed")


def email_changed(request: HttpRequest) -> HttpResponse:
    done: dict[str, Any] | None = request.session.pop(CHANGED_KEY, None)
    if not isinstance(done, dict):
        return redirect("settings")
    context = {
        "username": done.get("username", ""),
        "new_email": done.get("email", ""),
        "moved": done.get("digest") == Followed.MOVED.value,
        "kept_new": done.get("digest") == Followed.KEPT_NEW.value,
    }
    return render(request, "userdata/email_changed.html", context)
