"""The /for-you page: the reader's ranking, each paper with why it is there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from paperwire.community.paging import whole_number
from paperwire.papers import feed
from paperwire.papers.error_page import error_page
from paperwire.recommend.candidates import MAX_DAYS, default_days
from paperwire.recommend.feeds import feed_token
from paperwire.recommend.model import MIN_POSITIVES
from paperwire.recommend.ranking import ForYou, for_you, subscription_of

PAGE_SIZE = 30
DAY_CHOICES = (1, 7, 30)


def enabled() -> bool:
    return bool(getattr(settings, "PAPERWIRE_FOR_YOU", True))


class BadParameter(ValueError):
    """A query parameter the page cannot read; its message says what it takes."""


def _days(request: HttpRequest) -> int | None:
    """?days=N (1 to MAX_DAYS feed days); None when absent or empty (the default)."""
    raw = request.GET.get("days", "")
    if not raw:
        return None
    days = whole_number(raw, 1, MAX_DAYS, max_digits=6)
    if days is None:
        raise BadParameter(
            f"days must be a whole number of feed days from 1 to {MAX_DAYS}, e.g. ?days=7"
        )
    return days


def _items(ranked: ForYou) -> list[dict[str, Any]]:
    """Each pick with its feed entry, loaded as a feed card needs it, in ranked order."""
    ids = [p.paper_id for p in ranked.picks]
    entries = {e.paper_id: e for e in feed.entries(None).filter(paper_id__in=ids)}
    return [
        {"entry": entries[p.paper_id], "pick": p} for p in ranked.picks if p.paper_id in entries
    ]


def for_you_page(request: HttpRequest) -> HttpResponse:
    if not enabled():
        message = "This site does not rank papers for each reader (PAPERWIRE_FOR_YOU is off)."
        return error_page(request, message, 404, private=True)
    # Checked before the login: a bad link is worth saying so at once.
    try:
        days = _days(request) or default_days()
    except BadParameter as exc:
        return error_page(request, str(exc), private=True)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
    assert isinstance(request.user, User)
    user = request.user
    ranked = for_you(user, limit=PAGE_SIZE, days=days)
    token = feed_token(user)
    context = {
        "ranked": ranked,
        "items": _items(ranked),
        "days": days,
        "day_choices": sorted({*DAY_CHOICES, default_days()}),
        "feed_rss": reverse("feed_for_you_rss", args=[token]),
        "feed_atom": reverse("feed_for_you_atom", args=[token]),
        "subscription": subscription_of(user),
        "needed": max(0, MIN_POSITIVES - ranked.positives),
        "nav_active": "for_you",
    }
    response = render(request, "recommend/for_you.html", context)
    # Personal: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
