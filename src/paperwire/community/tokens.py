"""Personal access tokens for the API: made and revoked by their member (settings page,
`paperwire token create`), sent as `Authorization: Bearer <token>`.

A token is 40 random URL-safe characters after "pw_"; only its SHA-256 is stored (a
token this random needs no slow hash: nobody can guess one to test against the hash),
with its first characters so a member can tell their tokens apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from paperwire.community.models import AccessToken

PREFIX = "pw_"
MAX_TOKENS = 50
NAME_MAX = 100
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be made; the message says why."""


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(user: User, name: str, scope: str = AccessToken.READ) -> tuple[AccessToken, str]:
    """A new token for the user: (its row, the token itself, shown once)."""
    name = " ".join(str(name).split())
    if not name:
        raise TokenError("A token needs a name, e.g. the script that will use it.")
    if len(name) > NAME_MAX:
        raise TokenError(f"A token's name can have at most {NAME_MAX} characters.")
    if scope not in (AccessToken.READ, AccessToken.WRITE):
        raise TokenError("A token's scope is read or write.")
    if AccessToken.objects.filter(user=user).count() >= MAX_TOKENS:
        raise TokenError(f"You can have at most {MAX_TOKENS} tokens; revoke one first.")
    token = PREFIX + secrets.token_urlsafe(30)
    row = AccessToken.objects.create(
        user=user, name=name, scope=scope, digest=digest_of(token), prefix=token[:8]
    )
    return row, token


def find_token(token: str) -> AccessToken | None:
    """The live token row of an active account, or None; stamps its last use."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = (
        AccessToken.objects.select_related("user")
        .filter(digest=digest_of(token), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        AccessToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
        ).update(last_used_at=now)
        row.last_used_at = now
    return row


def revoke(user: User, pk: int) -> bool:
    deleted, _ = AccessToken.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
