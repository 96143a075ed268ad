"""Signed tokens in e-mail links: confirm a subscription, manage it, unsubscribe.

Tokens are signed with the site's secret key and a purpose-specific salt
(paperwire.mail.links), so a token for one purpose never works for another, and
tampering is detected.
"""

from __future__ import annotations

from paperwire.mail.links import BadToken, read_signed_id, sign_id

__all__ = ["BadToken", "make_token", "read_token"]

CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week
MANAGE_MAX_AGE = 30 * 24 * 3600

_SALTS = {
    "confirm": "paperwire.digests.confirm",
    "manage": "paperwire.digests.manage",
    # Unsubscribe links never expire: an old digest must always be able to stop the next.
    "unsubscribe": "paperwire.digests.unsubscribe",
}


def make_token(purpose: str, subscription_id: int) -> str:
    return sign_id(_SALTS[purpose], subscription_id)


def read_token(purpose: str, token: str) -> int:
    max_age = {"confirm": CONFIRM_MAX_AGE, "manage": MANAGE_MAX_AGE}.get(purpose)
    return read_signed_id(_SALTS[purpose], token, max_age)
