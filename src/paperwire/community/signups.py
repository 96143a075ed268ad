"""New accounts: the verification link, signing up again, and accounts never verified.

A verification link names the account, its address and a fingerprint of the password
it was made for: signing up again with the same address (the latest sign-up wins, since
only the mailbox's owner can open the link) makes every older link stale, so nobody who
tried the address first can log in to the account its owner verifies. An account not
verified within UNVERIFIED_DAYS is deleted and its username is free again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac

from paperwire.community.models import Profile
from paperwire.mail.outbox import queue_mail

VERIFY_SALT = "paperwire.community.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600
UNVERIFIED_DAYS = 7


class StaleLink(Exception):
    """A verification link that was valid, but a newer sign-up replaced it."""


def unverified_accounts() -> QuerySet[User]:
    """Accounts whose address was never confirmed (not suspended or deactivated ones)."""
    return User.objects.filter(
        is_active=False,
        last_login__isnull=True,
        profile__email_verified=False,
        profile__suspended=False,
    )


def delete_unverified_accounts(now: dt.datetime | None = None) -> int:
    """Delete accounts not verified within UNVERIFIED_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=UNVERIFIED_DAYS)
    stale = list(unverified_accounts().filter(date_joined__lt=cutoff).values_list("pk", flat=True))
    if not stale:
        return 0
    User.objects.filter(pk__in=stale).delete()
    return len(stale)


def account_of(email: str) -> User | None:
    """The account that has `email`, in any case: one at most (community.addresses)."""
    return User.objects.filter(email__iexact=email.strip()).first()


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does: a link carrying it dies with the password."""
    return salted_hmac(VERIFY_SALT, user.password).hexdigest()[:16]


def verification_token(user: User) -> str:
    return signing.dumps(
        {"u": user.pk, "e": user.email, "p": password_fingerprint(user)}, salt=VERIFY_SALT
    )


def user_of_token(token: str) -> User:
    """The account a verification link is for. Raises signing.BadSignature (bad or
    expired), User.DoesNotExist, or StaleLink (a newer sign-up replaced it)."""
    data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    if not isinstance(data, dict):
        raise signing.BadSignature("not a verification token")
    user = User.objects.get(pk=int(data["u"]), email=str(data["e"]))
    if data.get("p") != password_fingerprint(user) and not user.is_active:
        raise StaleLink
    return user


def confirmed_account_of_link(token: str) -> User | None:
    """The account of a genuine verification link that `user_of_token` refuses (too old,
    or the account's address or password changed since) when that account is active and
    confirmed: its owner re-opening the sign-up mail later needs no new sign-up."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT)  # the signature, at any age
        pk = int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return User.objects.filter(
        pk=pk, is_active=True, profile__email_verified=True, profile__suspended=False
    ).first()


def mail_context(**context: Any) -> dict[str, Any]:
    return {
        "site_name": settings.SITE_NAME,
        "contact_email": settings.PAPERWIRE_CONTACT_EMAIL,
        **context,
    }


def queue_template_mail(to: str, template: str, kind: str, context: dict[str, Any]) -> None:
    """Render a mail template (its first line is the subject) into the outbox."""
    subject, _, body = render_to_string(template, mail_context(**context)).partition("\n")
    queue_mail(to, subject.strip(), body.lstrip("\n"), kind=kind)


def send_verification(user: User, verify_url: str) -> None:
    queue_template_mail(
        user.email,
        "registration/verify_email.txt",
        "verify",
        {
            "user": user,
            "verify_url": verify_url,
            "days": VERIFY_MAX_AGE // 86400,
            "unverified_days": UNVERIFIED_DAYS,
        },
    )


def renew_signup(user: User, username: str, hashed_password: str) -> User:
    """Signing up again with the address of an account never verified: the new
    username and password replace the old ones (older links go stale)."""
    user.username = username
    user.password = hashed_password
    user.date_joined = timezone.now()
    user.save(update_fields=["username", "password", "date_joined"])
    Profile.objects.get_or_create(user=user)
    return user


def _cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=UNVERIFIED_DAYS)


def username_available(username: str, email: str) -> bool:
    """Free, or held by an account never verified: this address's own (signing up
    again), or one older than UNVERIFIED_DAYS (released)."""
    holder = User.objects.filter(username__iexact=username).first()
    if holder is None:
        return True
    if not unverified_accounts().filter(pk=holder.pk).exists():
        return False
    return holder.email.casefold() == email.casefold() or holder.date_joined < _cutoff()


def release_username(username: str, keep: User | None) -> None:
    """Delete the account past its time that still holds `username` (never `keep`)."""
    stale = unverified_accounts().filter(username__iexact=username, date_joined__lt=_cutoff())
    if keep is not None:
        stale = stale.exclude(pk=keep.pk)
    stale.delete()
