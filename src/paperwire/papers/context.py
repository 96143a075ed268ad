"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from paperwire.papers.feed import latest_feed_date, month_of, week_of


def site(request: HttpRequest) -> dict[str, Any]:
    # The header's Weekly/Monthly links open the period of the latest papers.
    today = timezone.now().date()
    anchor = latest_feed_date(today) or today
    return {
        "site_name": settings.SITE_NAME,
        "contact_email": settings.PAPERWIRE_CONTACT_EMAIL,
        "this_week": week_of(anchor).slug,
        "this_month": month_of(anchor).slug,
        # The header links members to For you unless the operator turned it off.
        "for_you_on": bool(getattr(settings, "PAPERWIRE_FOR_YOU", True)),
    }
