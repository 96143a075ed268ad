"""Every process of one site must sign with the same secret key.

Sessions, e-mail verification and password-reset links, digest manage and unsubscribe
links are signed with SECRET_KEY. A process with another key (a second machine without
PAPERWIRE_SECRET_KEY, or a site moved with `paperwire db copy` whose old key was not
carried over) serves pages as if every member were logged out and answers every mailed
link with "this link does not work", half of the time behind a load balancer. Nothing in
a log would say why. So the database keeps a fingerprint of the site's key (an HMAC of a
constant, which reveals no more than any signed session in the same database), recorded
by the first `web`, `worker` or `serve` that starts, and each of them compares its own
before it starts.

A key changed on purpose is accepted when the old one is in PAPERWIRE_SECRET_KEY_FALLBACKS
(Django's SECRET_KEY_FALLBACKS, which also keeps what the old key signed valid).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from paperwire.papers.models import SiteKey

_SALT = "paperwire.papers.secretkey"


class SecretKeyMismatch(CommandError):
    """This process's secret key is not the one the site signs with."""


def fingerprint(key: str) -> str:
    return salted_hmac(_SALT, "the site's secret key", secret=key, algorithm="sha256").hexdigest()


def key_source() -> str:
    """Where this process's key comes from, for messages (never the key)."""
    if os.environ.get("PAPERWIRE_SECRET_KEY"):
        return "PAPERWIRE_SECRET_KEY"
    return f"{Path(settings.DATA_DIR) / 'secret_key'}, as PAPERWIRE_SECRET_KEY is not set"


def mismatch_message() -> str:
    return (
        f"this process's secret key ({key_source()}) is not the one this site's database "
        "is signed with: members would be logged out and the links in mails sent so far "
        "would stop working. Set PAPERWIRE_SECRET_KEY to the site's key on every machine "
        "(after `paperwire db copy`, the old install's $PAPERWIRE_DATA_DIR/secret_key); "
        "to change the key on purpose, keep the old one in PAPERWIRE_SECRET_KEY_FALLBACKS "
        "(or, if it is lost, run `paperwire db accept-key` once with the new one)"
    )


def _matches(stored: str, key: str) -> bool:
    return constant_time_compare(stored, fingerprint(key))


def secret_key_state(using: str = DEFAULT_DB_ALIAS) -> str:
    """'same', 'unrecorded' or 'different': this process's key against the site's."""
    row = SiteKey.objects.using(using).filter(id=1).first()
    if row is None:
        return "unrecorded"
    if _matches(row.fingerprint, settings.SECRET_KEY):
        return "same"
    return "different"


def check_secret_key(using: str = DEFAULT_DB_ALIAS) -> None:
    """Record this process's key as the site's when none is recorded; take over from an
    old key named in SECRET_KEY_FALLBACKS; else refuse with SecretKeyMismatch."""
    current = fingerprint(settings.SECRET_KEY)
    with transaction.atomic(using=using):
        row, created = (
            SiteKey.objects.using(using)
            .select_for_update()
            .get_or_create(id=1, defaults={"fingerprint": current, "recorded_at": timezone.now()})
        )
        if created or constant_time_compare(row.fingerprint, current):
            return
        if any(_matches(row.fingerprint, old) for old in settings.SECRET_KEY_FALLBACKS):
            row.fingerprint = current
            row.recorded_at = timezone.now()
            row.save(using=using)
            return
    raise SecretKeyMismatch(mismatch_message())


def accept_secret_key(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Record this process's key as the site's, whatever was recorded (the old key is
    lost); True when that changed the record."""
    current = fingerprint(settings.SECRET_KEY)
    with transaction.atomic(using=using):
        row = SiteKey.objects.using(using).select_for_update().filter(id=1).first()
        if row is not None and constant_time_compare(row.fingerprint, current):
            return False
        SiteKey.objects.using(using).update_or_create(
            id=1, defaults={"fingerprint": current, "recorded_at": timezone.now()}
        )
    return True
