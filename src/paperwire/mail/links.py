"""Signed links in mails (confirm, manage, unsubscribe), and the headers of a mail that
can be stopped in one click.

A token is the id of a row signed with the site's secret key and a salt named for one
purpose, so a token made for one purpose never works for another and tampering is
detected. Digests (a subscription's links) and reply notifications (a member's "stop
these mails" link) both sign their links here.
"""

from __future__ import annotations

from django.core import signing


class BadToken(Exception):
    """A token that was tampered with, expired, or made for another purpose."""


def sign_id(salt: str, pk: int) -> str:
    return signing.dumps({"s": pk}, salt=salt, compress=True)


def read_signed_id(salt: str, token: str, max_age: int | None = None) -> int:
    """The id in `token`, signed with `salt` at most `max_age` seconds ago (None: any
    time); BadToken says why it is not."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("this link has expired: ask for a new one") from None
    except signing.BadSignature:
        raise BadToken("this link is not valid: it may have been cut or altered") from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise BadToken("this link is not valid")
    return int(data["s"])


def one_click_unsubscribe(url: str) -> dict[str, str]:
    """RFC 8058 headers: a mail program offers "Unsubscribe" and POSTs to `url` (which
    must take a POST without cookies or CSRF token: the signed token is the proof)."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
