"""One account per e-mail address.

The application checks before it writes an address (sign-up, the address change, the
admin, `paperwire createsuperuser`), and the database guarantees it: migration 0005 made
a unique index on auth_user's lower(email) for every non-empty address, so two requests
that pass the check at the same instant cannot both store one address. A writer that
loses that race gets an IntegrityError and answers as its check would have.

"The same address" is the one the rest of the site uses (address_change.same_address,
digests' subscription_email): trimmed, in any case. Every writer stores an address
trimmed (Django's e-mail fields strip it and refuse inner spaces), so lower(email) is
that key. SQLite's lower() folds ASCII letters only, and the local part of an address
can only be ASCII (Django's EmailValidator); what is left, an internationalized domain
in capitals, is folded here before anything is stored (`normalize_address`), as Django's
create_user does, so the index sees the same key on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS

# The index migration 0005 made (its SQL names it too: a migration keeps its own copy).
UNIQUE_INDEX = "community_user_email_unique"

TAKEN = "An account with this address already exists."


def normalize_address(email: str) -> str:
    """`email` as it is stored: trimmed, its domain lower-case (the local part as typed)."""
    return User.objects.normalize_email(email.strip())


def held_by_another(email: str, user: User | None = None, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether an account other than `user` has `email`, in any case: any account, verified
    or not, since the index counts them all."""
    email = email.strip()
    if not email:
        return False
    others = User.objects.db_manager(using).filter(email__iexact=email)
    if user is not None and user.pk is not None:
        others = others.exclude(pk=user.pk)
    return others.exists()
