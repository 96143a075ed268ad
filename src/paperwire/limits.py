"""The rate limits' scopes and defaults (community.ratelimit counts them), and reading
PAPERWIRE_RATE_LIMITS: this module imports no model, so settings.py can check the
variable at start."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


# Per client address (paperwire.clientaddr: REMOTE_ADDR, or behind trusted proxies the
# address they forward) and per account (username or e-mail as typed).
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
    # Reply notification mails per recipient (the notifications themselves are not
    # limited): one per five minutes, however lively the thread.
    "reply-mail": Limit(1, 300),
    "subscribe-ip": Limit(10, 3600),
    # Changing the account's address: per client address, per new address (each request
    # mails it), and per member (whose password the form checks).
    "email-change-ip": Limit(10, 3600),
    "email-change-account": Limit(3, 3600),
    "email-change-member": Limit(10, 3600),
    # Password tries on the "Delete my account" page, per account.
    "delete-account": Limit(10, 3600),
    # API requests per personal access token (community.tokens): reads, and writes.
    "api-read": Limit(600, 60),
    "api-write": Limit(60, 60),
}


_ITEM = re.compile(r"^([a-z-]+)=(\d+)/(\d+)$")


def env_rate_limits(name: str = "PAPERWIRE_RATE_LIMITS") -> dict[str, Limit]:
    """`scope=COUNT/SECONDS,…` from the environment (e.g. `signup-ip=50/3600` for a lab
    whose members share one address), over DEFAULT_LIMITS; anything else is an error
    naming the variable."""
    raw = os.environ.get(name, "")
    limits: dict[str, Limit] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        match = _ITEM.match(item.replace(" ", ""))
        if match is None:
            raise ValueError(f"{name}: {item!r} is not SCOPE=COUNT/SECONDS, e.g. signup-ip=50/3600")
        scope, count, seconds = match[1], int(match[2]), int(match[3])
        if scope not in DEFAULT_LIMITS:
            raise ValueError(
                f"{name}: {scope!r} is not a rate limit; they are {', '.join(DEFAULT_LIMITS)}"
            )
        if count < 1 or not 1 <= seconds <= 7 * 86400:
            raise ValueError(
                f"{name}: {item!r} needs a count of at least 1 and a window of 1 to "
                "604800 seconds (a week)"
            )
        limits[scope] = Limit(count, seconds)
    return limits
