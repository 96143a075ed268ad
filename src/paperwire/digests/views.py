"""Subscribing (double opt-in), managing and unsubscribing; the staff preview; personal feeds."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import DatabaseError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from paperwire.community import ratelimit
from paperwire.digests.compose import PeriodPapers, compose, site_url
from paperwire.digests.models import Subscription, subscription_email
from paperwire.digests.periods import default_period, parse_period_key
from paperwire.digests.tokens import (
    CONFIRM_MAX_AGE,
    MANAGE_MAX_AGE,
    BadToken,
    make_token,
    read_token,
)
from paperwire.mail.outbox import queue_mail
from paperwire.papers.feed import InvalidPeriod

log = logging.getLogger(__name__)

TOPIC_KINDS = ("categories", "keywords", "authors", "organizations")
MAX_TOPICS = 20
CONFIRMATIONS_PER_DAY = 3

SignedView = Callable[[HttpRequest, "Subscription", str], HttpResponse]


def _topic_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=1000, help_text=help_text)


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often",
        choices=Subscription.FREQUENCIES,
        initial=Subscription.DAILY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often you want a digest."},
    )
    categories = _topic_field("arXiv categories", "comma-separated, e.g. cs.CL, cs.LG")
    keywords = _topic_field(
        "Saved searches", 'comma-separated searches, e.g. state space models, "linear attention"'
    )
    authors = _topic_field("Authors", "comma-separated full names")
    organizations = _topic_field("Organizations", "comma-separated handles, e.g. tencent")
    for_you = forms.BooleanField(
        label="Add papers picked for you",
        required=False,
        help_text="For members: the papers your For you page ranks highest",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for kind in TOPIC_KINDS:
            items = [t.strip() for t in (data.get(kind) or "").split(",") if t.strip()]
            if len(items) > MAX_TOPICS:
                self.add_error(kind, f"at most {MAX_TOPICS} entries")
            if any(len(t) > 100 for t in items):
                self.add_error(kind, "each entry may have at most 100 characters")
            data[kind] = items
        return data

    def topics(self) -> dict[str, list[str]]:
        return {k: self.cleaned_data[k] for k in TOPIC_KINDS if self.cleaned_data.get(k)}


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(max_length=254)
    field_order = ["email", "frequency", *TOPIC_KINDS]


def _initial(sub: Subscription) -> dict[str, Any]:
    return {
        "frequency": sub.frequency,
        "for_you": sub.for_you,
        **{k: ", ".join(sub.topic_list(k)) for k in TOPIC_KINDS},
    }


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The form every page's e-mail field leads to. The answer never says whether an
    address was already subscribed."""
    if request.method == "GET":
        form = SubscribeForm(initial={"email": request.GET.get("email", "")[:254]})
        return render(request, "digests/subscribe.html", {"form": form})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    if not ratelimit.allowed(request, "subscribe", None):  # per address
        return render(
            request,
            "digests/message.html",
            {"title": "Too many requests", "text": "Please try again in an hour."},
            status=429,
        )
    email = subscription_email(form.cleaned_data["email"])
    sub, _ = Subscription.objects.get_or_create(
        email=email, defaults={"frequency": form.cleaned_data["frequency"]}
    )
    user = request.user
    if user.is_authenticated and subscription_email(user.email) == email:
        # A member's address was verified at sign-up: no second opt-in needed.
        return _subscribe_member(request, sub, form)
    if sub.status != Subscription.ACTIVE:
        # Preferences of a confirmed subscription change only through its manage link.
        sub.frequency = form.cleaned_data["frequency"]
        sub.topics = form.topics()
        sub.status = Subscription.PENDING
        sub.save(update_fields=["frequency", "topics", "status"])
    try:
        with transaction.atomic():
            _send_confirmation(sub)
    except DatabaseError:
        log.exception("subscription confirmation not queued")
        return render(
            request,
            "digests/message.html",
            {
                "title": "We could not send the confirmation mail",
                "text": "It could not be stored just now, so none is on its way. Please try "
                "again in a minute.",
            },
            status=503,
        )
    return render(
        request,
        "digests/message.html",
        {
            "title": "Check your inbox",
            "text": f"If {email} can receive mail, a message is on its way with a link to "
            "confirm your subscription (or to manage it, if you are already subscribed).",
        },
    )


def _subscribe_member(request: HttpRequest, sub: Subscription, form: SubscribeForm) -> HttpResponse:
    if sub.status != Subscription.ACTIVE:
        sub.frequency = form.cleaned_data["frequency"]
        sub.topics = form.topics() or sub.topics
        sub.for_you = form.cleaned_data["for_you"] or sub.for_you
        sub.status = Subscription.ACTIVE
        sub.confirmed_at = timezone.now()
    sub.user = request.user  # type: ignore[assignment]
    sub.save()
    # POST/redirect/GET: reloading the page that says so does not send the form again.
    manage_url = reverse("digest_manage", args=[make_token("manage", sub.pk)])
    return redirect(f"{manage_url}?subscribed=1")


def _take_confirmation_slot(sub: Subscription) -> bool:
    """Count one confirmation mail against the address's CONFIRMATIONS_PER_DAY, in
    conditional UPDATEs (atomic under parallel requests: the check and the count are
    one statement); False when the day's mails are used up."""
    now = timezone.now()
    day_ago = now - dt.timedelta(days=1)
    # A new day: the count starts again (only when the last mail is a day old).
    Subscription.objects.filter(pk=sub.pk, last_confirmation_at__lte=day_ago).update(
        confirmations_sent=0
    )
    taken = Subscription.objects.filter(
        pk=sub.pk, confirmations_sent__lt=CONFIRMATIONS_PER_DAY
    ).update(confirmations_sent=F("confirmations_sent") + 1, last_confirmation_at=now)
    return taken == 1


def _send_confirmation(sub: Subscription) -> None:
    if not _take_confirmation_slot(sub):
        return  # silently: the answer must not differ, and the address is not bombed
    active = sub.status == Subscription.ACTIVE
    purpose = "manage" if active else "confirm"
    link = site_url(reverse(f"digest_{purpose}", args=[make_token(purpose, sub.pk)]))
    max_age = MANAGE_MAX_AGE if active else CONFIRM_MAX_AGE
    context = {
        "site_name": settings.SITE_NAME,
        "link": link,
        "sub": sub,
        "active": active,
        "days": max_age // 86400,  # a link past it gets "this link does not work"
    }
    queue_mail(
        sub.email,
        f"{settings.SITE_NAME}: "
        + ("manage your subscription" if active else "confirm your subscription"),
        render_to_string("digests/email/confirm.txt", context),
        kind="subscribe",
    )


def _subscription_from(purpose: str, token: str) -> Subscription:
    pk = read_token(purpose, token)
    sub = Subscription.objects.filter(pk=pk).first()
    if sub is None:
        raise BadToken("this subscription no longer exists")
    return sub


def _bad_link(request: HttpRequest, exc: BadToken) -> HttpResponse:
    text = f"Sorry, {exc}. You can always subscribe again or use the link in your latest digest."
    return render(
        request,
        "digests/message.html",
        {"title": "This link does not work", "text": text},
        status=404,
    )


def signed_subscription(purpose: str) -> Callable[[SignedView], Callable[..., HttpResponse]]:
    """Resolve the signed token of an e-mail link to its subscription, or answer with a
    page saying why the link does not work."""

    def decorate(view: SignedView) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                sub = _subscription_from(purpose, token)
            except BadToken as exc:
                return _bad_link(request, exc)
            return view(request, sub, token)

        return wrapper

    return decorate


@require_http_methods(["GET", "POST"])
@signed_subscription("confirm")
def confirm(request: HttpRequest, sub: Subscription, token: str) -> HttpResponse:
    """GET asks (a mail scanner's visit confirms nothing); POST confirms, then redirects
    to a page that a reload does not post again: the manage page saying "confirmed"."""
    if request.method == "POST":
        if sub.status == Subscription.UNSUBSCRIBED:
            return redirect(reverse("digest_confirm", args=[token]))
        if sub.status != Subscription.ACTIVE:
            sub.status = Subscription.ACTIVE
            sub.confirmed_at = timezone.now()
            sub.save(update_fields=["status", "confirmed_at"])
        manage_url = reverse("digest_manage", args=[make_token("manage", sub.pk)])
        return redirect(f"{manage_url}?confirmed=1")
    return render(request, "digests/confirm.html", {"sub": sub})


@require_http_methods(["GET", "POST"])
@signed_subscription("manage")
def manage(request: HttpRequest, sub: Subscription, token: str) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            sub.frequency = form.cleaned_data["frequency"]
            sub.topics = form.topics()
            sub.for_you = form.cleaned_data["for_you"]
            sub.save(update_fields=["frequency", "topics", "for_you"])
            # POST/redirect/GET: reloading the page that says so does not send it again.
            return redirect(f"{request.path}?saved=1")
        return _manage_page(request, sub, form=form, status=400)
    active = sub.status == Subscription.ACTIVE
    return _manage_page(
        request,
        sub,
        confirmed=active and request.GET.get("confirmed") == "1",
        subscribed=active and request.GET.get("subscribed") == "1",
        saved=request.GET.get("saved") == "1",
    )


def _manage_page(
    request: HttpRequest,
    sub: Subscription,
    *,
    form: PreferencesForm | None = None,
    status: int = 200,
    **flags: bool,
) -> HttpResponse:
    context = {
        "sub": sub,
        "form": form or PreferencesForm(initial=_initial(sub)),
        "manage_token": make_token("manage", sub.pk),
        "unsubscribe_token": make_token("unsubscribe", sub.pk),
        "feed_url": site_url(reverse("feed_subscription_atom", args=[sub.feed_token])),
        **flags,
    }
    return render(request, "digests/manage.html", context, status=status)


@csrf_exempt  # RFC 8058: mail providers POST here without cookies; the signed token is the proof
@require_http_methods(["GET", "POST"])
@signed_subscription("unsubscribe")
def unsubscribe(request: HttpRequest, sub: Subscription, token: str) -> HttpResponse:
    if request.method == "POST":
        if sub.status != Subscription.UNSUBSCRIBED:
            sub.status = Subscription.UNSUBSCRIBED
            sub.unsubscribed_at = timezone.now()
            sub.save(update_fields=["status", "unsubscribed_at"])
        return render(
            request,
            "digests/message.html",
            {
                "title": "You are unsubscribed",
                "text": f"{sub.email} will get no more digests. Subscribe again at any time.",
            },
        )
    return render(request, "digests/unsubscribe.html", {"sub": sub, "token": token})


@staff_member_required
def preview(request: HttpRequest) -> HttpResponse:
    """Staff: the digest one subscriber would get for one period, as HTML or text."""
    email = subscription_email(request.GET.get("email", ""))
    key = request.GET.get("period", "")
    sub = Subscription.objects.filter(email=email).first()
    if sub is None:
        return HttpResponse(
            "No subscription for that e-mail.", status=404, content_type="text/plain"
        )
    try:
        period = (
            parse_period_key(key) if key else default_period(sub.frequency, timezone.now().date())
        )
    except InvalidPeriod as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    if period is None:
        return HttpResponse("There are no papers yet.", content_type="text/plain")
    papers = PeriodPapers(period)
    papers.prepare_for_you([sub])
    digest = compose(sub, papers)
    if digest is None:
        return HttpResponse("Nothing to send for that period.", content_type="text/plain")
    if request.GET.get("format") == "text":
        return HttpResponse(digest.text, content_type="text/plain; charset=utf-8")
    return HttpResponse(digest.html)
