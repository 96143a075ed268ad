"""The digest section of a member's settings page (the community app's template loads it)."""

from __future__ import annotations

from typing import Any

from django import template

from paperwire.digests.models import Subscription, subscription_email
from paperwire.digests.tokens import make_token

register = template.Library()


@register.inclusion_tag("digests/_settings.html", takes_context=True)
def digest_settings(context: template.Context) -> dict[str, Any]:
    user = context["user"]
    email = subscription_email(user.email)
    sub = Subscription.objects.filter(email=email).first() if email else None
    live = sub is not None and sub.status != Subscription.UNSUBSCRIBED
    return {
        "email": email,
        "sub": sub if live else None,
        "manage_token": make_token("manage", sub.pk) if live and sub else "",
        "frequencies": Subscription.FREQUENCIES,
        "csrf_token": context.get("csrf_token"),
    }
