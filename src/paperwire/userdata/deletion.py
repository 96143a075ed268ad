""" "Delete my account": the account and everything that is only the member's goes; what
others replied to stays readable.

Removed: the account and profile, upvotes (the counts on the papers go down), saves,
collections, digest subscriptions (by account and by address, with their outbox rows),
API tokens, author claims, memberships, reports they filed, notifications (theirs, and
those their comments made for others), pending password resets, and mail still queued
to their address. Comments stay in their threads as "[deleted]" (no author, no words).
Others' comments that mention them keep the name as text, no longer a link (so the
username, free again, never leads to whoever takes it next).
Submissions stay in the feed, submitted by nobody; moderation log lines keep no actor.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from paperwire.community import actions, mentions
from paperwire.community.models import Comment, Notification, ResetRequest, Upvote
from paperwire.mail.models import Mail
from paperwire.papers.store import bump_data_version
from paperwire.userdata.export import subscriptions_of


def delete_account(user: User) -> None:
    email = (user.email or "").strip()
    with transaction.atomic():
        for upvote in Upvote.objects.filter(user=user).select_related("paper"):
            actions.set_vote(user, upvote.paper, False)
        for comment in Comment.objects.filter(author=user, deleted=False).select_related("paper"):
            actions.delete_comment(comment)
        # delete_comment took the notifications of live comments; these are the rest.
        Notification.objects.filter(comment__author=user).delete()
        Comment.objects.filter(author=user).update(author=None, body="", body_html="", deleted=True)
        subscriptions_of(user).delete()
        if email:
            ResetRequest.objects.filter(email__iexact=email).delete()
            Mail.objects.filter(to_email__iexact=email).exclude(status=Mail.SENDING).delete()
        username = user.get_username()
        user.delete()
        mentions.unlink(username)
        bump_data_version()
