"""Fixed-window rate limits kept in the shared (database) cache.

Every web process sees the same counters, so limits hold with many workers.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


# Per client address and per account (username or e-mail as typed).
DEFAULT_LIMITS: dict[str, Limit] = {
    "login-ip": Limit(30, 600),
    "login-account": Limit(10, 600),
    "signup-ip": Limit(10, 3600),
    "signup-account": Limit(3, 3600),
    "reset-ip": Limit(10, 3600),
    "reset-account": Limit(3, 3600),
    "submit-ip": Limit(30, 3600),
    "submit-account": Limit(20, 3600),
    "comment-account": Limit(30, 600),
}


def limit_for(scope: str) -> Limit:
    overrides = getattr(settings, "PAPERWIRE_RATE_LIMITS", {})
    return overrides.get(scope, DEFAULT_LIMITS[scope])


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(scope: str, key: str) -> bool:
    """Count one attempt; False when the attempt is over the limit."""
    limit = limit_for(scope)
    window = int(time.time() // limit.seconds)
    digest = hashlib.sha256(f"{scope}:{key.casefold()}".encode()).hexdigest()[:32]
    name = f"rl:{digest}:{window}"
    if cache.add(name, 1, limit.seconds + 5):
        return True
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, limit.seconds + 5)
        return True
    return used <= limit.count


def allowed(request: HttpRequest, action: str, account: str | None) -> bool:
    """Count an attempt against the per-address and (when given) per-account limits."""
    ok = hit(f"{action}-ip", client_ip(request))
    if account and f"{action}-account" in DEFAULT_LIMITS:
        ok = hit(f"{action}-account", account) and ok
    return ok
