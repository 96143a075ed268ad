"""A member's subscription when the member's address changes.

A subscription is keyed by its own copy of the address (Subscription.email), so a
member's digest would keep going to the old address. When a member confirms a new one
(community.address_change), the subscription of the old address moves with them: the
same row (its manage and unsubscribe links and its personal feed URL keep working), and
digests already composed but not yet sent go to the new address too.
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import User
from django.utils import timezone

from paperwire.digests.models import DigestMessage, Subscription, subscription_email


class Followed(enum.Enum):
    NOTHING = "nothing"  # no digest to carry over (none, or not yet confirmed)
    MOVED = "moved"  # the subscription now belongs to the new address
    KEPT_NEW = "kept-new"  # the new address had its own active subscription; it stays


def follow_new_address(user: User, old_email: str, new_email: str) -> Followed:
    """Carry the member's subscription from `old_email` to `new_email` (the caller holds
    the transaction that changes the account's address)."""
    old_key, new_key = subscription_email(old_email), subscription_email(new_email)
    old = Subscription.objects.select_for_update().filter(email=old_key).first()
    # A subscription still waiting for confirmation belongs to whoever opens the link
    # mailed to the old address, not to the account: it stays where it is.
    if old is None or old.status == Subscription.PENDING:
        return Followed.NOTHING
    new = Subscription.objects.select_for_update().filter(email=new_key).first()
    if new is not None and (new.status == Subscription.ACTIVE or old.status != Subscription.ACTIVE):
        # The new address's own active subscription stands; the old address's stops.
        if old.status == Subscription.ACTIVE:
            old.status = Subscription.UNSUBSCRIBED
            old.unsubscribed_at = timezone.now()
            old.save(update_fields=["status", "unsubscribed_at"])
        if new.status == Subscription.ACTIVE and new.user_id is None:
            new.user = user
            new.save(update_fields=["user"])
        return Followed.KEPT_NEW if new.status == Subscription.ACTIVE else Followed.NOTHING
    if new is not None:
        # Unconfirmed or unsubscribed: the member, who has just proved the mailbox is
        # theirs, brings their active subscription there instead.
        new.delete()
    old.email = new_key
    old.user = user
    old.save(update_fields=["email", "user"])
    DigestMessage.objects.filter(subscription=old, status=DigestMessage.QUEUED).update(
        to_email=new_key
    )
    return Followed.MOVED if old.status == Subscription.ACTIVE else Followed.NOTHING


def member_subscription(user: User) -> Subscription | None:
    """The subscription of the member's address that digests go to (active), if any."""
    email = subscription_email(user.email)
    if not email:
        return None
    return Subscription.objects.filter(email=email, status=Subscription.ACTIVE).first()
