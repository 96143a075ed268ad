"""/notifications and its buttons; the reply-mail switch of Settings and the mail's
one-click link that turns it off.

Read marks follow the Hub: opening a notification (its link goes through
/notifications/<id>) marks that one read, and "Mark all as read" marks the rest; only
looking at the list marks nothing.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paperwire.community import notifications, paging
from paperwire.community.models import Notification, Profile
from paperwire.community.views import _user
from paperwire.mail.links import BadToken
from paperwire.papers.error_page import error_page

PER_PAGE = 25


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        number = paging.page_number(request)
    except paging.BadPage as exc:
        return error_page(request, str(exc), 400, private=True)
    shown, more = paging.window(notifications.listed(user), number, PER_PAGE)
    if not shown and number > 1:
        return error_page(request, "There is no such page of notifications.", 404, private=True)
    context = {
        "notifications": [_entry(n) for n in shown],
        "pager": paging.pager(request, number, more),
        "any_unread": notifications.unread(user).exists(),
        "nav_active": "notifications",
    }
    response = render(request, "community/notifications.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _entry(notification: Notification) -> dict[str, object]:
    comment = notification.comment
    gone = "[hidden by moderators]" if comment.hidden else "[deleted]" if comment.deleted else ""
    author = comment.author
    return {
        "pk": notification.pk,
        "what": notification.get_reason_display(),
        "reason": notification.reason,
        "paper_title": comment.paper.readable_title,
        "gone": gone,
        "who": "" if gone else notifications.actor_name(comment),
        "profile": author.username if author is not None and author.is_active else "",
        "excerpt": "" if gone else notifications.excerpt(comment),
        "unread": notification.read_at is None and not gone,
        "created": notification.created,
        "ago": _ago(notification.created),
    }


def _ago(when: dt.datetime) -> str:
    if timezone.now() - when < dt.timedelta(minutes=1):
        return "just now"
    return f"{timesince(when)} ago"


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the member's notification read and go to its comment."""
    found = notifications.mark_read(_user(request), pk)
    if found is None:
        return error_page(request, "There is no such notification.", 404, private=True)
    return redirect(found.comment.get_absolute_url())


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    marked = notifications.mark_all_read(_user(request))
    if marked:
        messages.info(request, "All your notifications are marked read.")
    return redirect("notifications")


@login_required
@require_POST
def reply_mail_setting(request: HttpRequest) -> HttpResponse:
    """Settings' "E-mail me when someone replies to or mentions me" (a checkbox: absent
    means off)."""
    on = request.POST.get("email_on_reply") == "on"
    notifications.set_reply_mail(_user(request), on)
    if on:
        messages.success(request, "You will get an e-mail when someone replies to or mentions you.")
    else:
        messages.success(request, "You will get no e-mail when someone replies to or mentions you.")
    return redirect(reverse("settings") + "#notify-h")


@csrf_exempt  # RFC 8058: mail providers POST here without cookies; the signed token is the proof
@require_http_methods(["GET", "POST"])
def reply_mail_off(request: HttpRequest, token: str) -> HttpResponse:
    """The mail's link: GET asks (a mail scanner's visit changes nothing), POST turns
    reply mails off for the account the link was made for."""
    try:
        pk = notifications.user_of_mail_off_token(token)
    except BadToken as exc:
        return error_page(request, f"Sorry, {exc}. You can turn these mails off in Settings.", 404)
    user = User.objects.filter(pk=pk).first()
    if user is None:
        return error_page(request, "Sorry, this account no longer exists.", 404)
    if request.method == "POST":
        notifications.set_reply_mail(pk, False)
    profile = Profile.objects.filter(user_id=pk).first()
    context = {"token": token, "off": profile is None or not profile.email_on_reply}
    return render(request, "community/reply_mail_off.html", context)
