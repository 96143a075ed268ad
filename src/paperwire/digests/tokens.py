"""Signed tokens in e-mail links: confirm a subscription, manage it, unsubscribe.

Tokens are signed with the site's secret key and a purpose-specific salt, so a token
for one purpose never works for another, and tampering is detected.
"""

from __future__ import annotations

from django.core import signing

CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week
MANAGE_MAX_AGE = 30 * 24 * 3600

_SALTS = {
    "confirm": "paperwire.digests.confirm",
    "manage": "paperwire.digests.manage",
    # Unsubscribe links never expire: an old digest must always be able to stop the next.
    "unsubscribe": "paperwire.digests.unsubscribe",
}


class BadToken(Exception):
    """A token that was tampered with, expired, or made for another purpose."""


def make_token(purpose: str, subscription_id: int) -> str:
    return signing.dumps({"s": subscription_id}, salt=_SALTS[purpose], compress=True)


def read_token(purpose: str, token: str) -> int:
    max_age = {"confirm": CONFIRM_MAX_AGE, "manage": MANAGE_MAX_AGE}.get(purpose)
    try:
        data = signing.loads(token, salt=_SALTS[purpose], max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("this link has expired: ask for a new one") from None
    except signing.BadSignature:
        raise BadToken("this link is not valid: it may have been cut or altered") from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise BadToken("this link is not valid")
    return int(data["s"])
