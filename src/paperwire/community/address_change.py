"""Changing a member's e-mail address: asked for with the password, done by a link
mailed to the new address.

The link is made as sign-up's verification link is (community.signups): signed with a
purpose of its own, expiring, and carrying the account, a hash of its address when the
link was made, the new address and the fingerprint of the password. It stops working
once the address changes (including by this link: it works once), once the password
changes, and once a newer request or a cancel replaces Profile.pending_email. Until it is
followed the account keeps its old address, which is told of the request (no link in
that mail changes anything).

A new address that already belongs to another account gets the equivalent of sign-up's
"already has an account" mail instead of a link, and the member sees the same page as
for a free address: nothing here tells anyone which addresses have accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from paperwire.community import signups
from paperwire.community.models import Profile

CHANGE_SALT = "paperwire.community.change-email"
CHANGE_MAX_AGE = 24 * 3600


class BadLink(Exception):
    """A change link that does not work; str() says why, for the person who followed it."""


class AddressTaken(Exception):
    """The new address belongs to another account by now."""


def same_address(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def taken_by_another(email: str, user: User) -> bool:
    """Whether another account holds `email`. Accounts never verified do not count:
    only the mailbox's owner could verify them, and that owner is the one asking."""
    return (
        User.objects.filter(email__iexact=email.strip())
        .exclude(pk=user.pk)
        .exclude(pk__in=signups.unverified_accounts().values("pk"))
        .exists()
    )


@dataclass(frozen=True)
class Pending:
    email: str
    until: dt.datetime


def pending_change(user: User) -> Pending | None:
    """The change waiting for its link, while that link can still work."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None or not profile.pending_email or profile.pending_email_at is None:
        return None
    until = profile.pending_email_at + dt.timedelta(seconds=CHANGE_MAX_AGE)
    if until <= timezone.now():
        return None
    return Pending(profile.pending_email, until)


def _address_fingerprint(user: User) -> str:
    # The link shows the account's address only as a hash: it is mailed to another one.
    return salted_hmac(CHANGE_SALT, user.email).hexdigest()[:16]


def change_token(user: User, new_email: str) -> str:
    data = {
        "u": user.pk,
        "e": _address_fingerprint(user),
        "n": new_email,
        "p": signups.password_fingerprint(user),
    }
    return signing.dumps(data, salt=CHANGE_SALT)


def read_change_token(token: str) -> tuple[User, str]:
    """(account, new address) of a change link that still works; BadLink otherwise."""
    try:
        data = signing.loads(token, salt=CHANGE_SALT, max_age=CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise BadLink(
            "This link has expired: links to change an address work for "
            f"{CHANGE_MAX_AGE // 3600} hours. Nothing was changed; you can ask again in "
            "your settings."
        ) from None
    except signing.BadSignature:
        raise BadLink(
            "This link is not valid: it may have been cut short or altered. Nothing was "
            "changed; please open the link exactly as it is in the mail."
        ) from None
    used = BadLink(
        "This link no longer works: it was used already, or the account's address or "
        "password changed since it was sent, or a newer request replaced it. Nothing was "
        "changed; the latest mail has the link that works."
    )
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise used
    if not all(isinstance(data.get(k), str) for k in "enp"):
        raise used
    user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
    profile = Profile.objects.filter(user=user).first() if user else None
    if (
        user is None
        or profile is None
        or profile.suspended
        or data["e"] != _address_fingerprint(user)
        or data["p"] != signups.password_fingerprint(user)
        or not profile.pending_email
        or not same_address(profile.pending_email, data["n"])
    ):
        raise used
    return user, data["n"]


def request_change(
    user: User,
    new_email: str,
    *,
    link_for: Callable[[str], str],
    settings_url: str,
    reset_url: str,
) -> None:
    """Record the request and queue its mails, in the caller's transaction; `link_for`
    makes the confirmation link's address from its token."""
    new_email = new_email.strip()
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.pending_email = new_email
    profile.pending_email_at = timezone.now()
    profile.save(update_fields=["pending_email", "pending_email_at"])
    context: dict[str, Any] = {
        "user": user,
        "new_email": new_email,
        "hours": CHANGE_MAX_AGE // 3600,
        "settings_url": settings_url,
        "reset_url": reset_url,
    }
    if taken_by_another(new_email, user):
        signups.queue_template_mail(
            new_email, "registration/email_change_taken.txt", "email-change-taken", context
        )
    else:
        link = link_for(change_token(user, new_email))
        signups.queue_template_mail(
            new_email,
            "registration/email_change_confirm.txt",
            "email-change",
            {**context, "confirm_url": link},
        )
    signups.queue_template_mail(
        user.email, "registration/email_change_notice.txt", "email-change-notice", context
    )


def cancel_change(user: User) -> bool:
    """Forget the pending change (its link stops working); False if there was none."""
    return bool(
        Profile.objects.filter(user=user)
        .exclude(pending_email="")
        .update(pending_email="", pending_email_at=None)
    )


def apply_change(user: User, new_email: str, settings_url: str) -> str:
    """Give the account its new address (the caller holds a transaction and has read
    the link); returns the old one. Raises AddressTaken if another account has it now,
    or takes it while this runs."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if taken_by_another(new_email, user):
        raise AddressTaken
    # A sign-up never verified with this address can only be verified by its mailbox's
    # owner, who has just chosen to give the address to this account instead.
    signups.unverified_accounts().filter(email__iexact=new_email.strip()).exclude(
        pk=user.pk
    ).delete()
    old = user.email
    user.email = new_email
    try:
        # A savepoint: the caller's transaction stays usable when the index refuses.
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        # Another account stored this address after the check above (a sign-up, or
        # another account's change confirmed at the same instant): the database's
        # unique index (community.addresses) refused it, as the check would have.
        user.email = old
        raise AddressTaken from None
    Profile.objects.filter(user=user).update(
        pending_email="", pending_email_at=None, email_verified=True
    )
    signups.queue_template_mail(
        old,
        "registration/email_changed_notice.txt",
        "email-changed",
        {"user": user, "new_email": new_email, "settings_url": settings_url},
    )
    return old
