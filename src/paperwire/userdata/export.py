"""A member's own data as one JSON document ("Download my data").

Everything the site keeps about the account and everything the member did: profile,
upvotes, saves (with read marks), collections, comments, notifications (which comment,
why, when, read or not: another member's words are theirs), digest subscriptions, API
tokens (their names, scopes and use, never the secrets: only hashes are stored, and
those are left out too), submissions, author claims and organizations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from paperwire.community.models import (
    AccessToken,
    AuthorClaim,
    Collection,
    CollectionItem,
    Comment,
    Notification,
    OrganizationMember,
    Profile,
    Save,
    Upvote,
)
from paperwire.digests.models import Subscription
from paperwire.papers.models import FeedEntry

FORMAT = "paperwire-user-data/1"


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def subscriptions_of(user: User) -> Any:
    email = (user.email or "").strip()
    match = Q(user=user) | Q(email__iexact=email) if email else Q(user=user)
    return Subscription.objects.filter(match)


def user_data(user: User) -> dict[str, Any]:
    profile = Profile.objects.filter(user=user).first()
    return {
        "format": FORMAT,
        "site": settings.SITE_URL,
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "username": user.username,
            "email": user.email,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "display_name": profile.display_name if profile else "",
            "bio": profile.bio if profile else "",
            "links": profile.link_list() if profile else [],
            "email_verified": bool(profile and profile.email_verified),
            "email_on_reply": bool(profile is None or profile.email_on_reply),
        },
        "upvotes": [
            {"paper": pid, "title": title, "at": _when(at)}
            for pid, title, at in Upvote.objects.filter(user=user)
            .order_by("created", "pk")
            .values_list("paper__public_id", "paper__title", "created")
        ],
        "saves": [
            {"paper": pid, "title": title, "saved_at": _when(at), "read_at": _when(read)}
            for pid, title, at, read in Save.objects.filter(user=user)
            .order_by("created", "pk")
            .values_list("paper__public_id", "paper__title", "created", "read_at")
        ],
        "collections": [_collection(c) for c in Collection.objects.filter(owner=user)],
        "comments": [
            {
                "id": c.pk,
                "paper": c.paper.public_id,
                "reply_to": c.parent_id,
                "body": c.body,
                "created": _when(c.created),
                "edited": _when(c.edited),
                "deleted": c.deleted,
                "hidden_by_moderators": c.hidden,
            }
            for c in Comment.objects.filter(author=user).select_related("paper").order_by("pk")
        ],
        "notifications": [
            {
                "comment": comment_id,
                "paper": pid,
                "reason": reason,
                "created": _when(at),
                "read_at": _when(read),
            }
            for comment_id, pid, reason, at, read in Notification.objects.filter(recipient=user)
            .order_by("created", "pk")
            .values_list("comment_id", "comment__paper__public_id", "reason", "created", "read_at")
        ],
        "subscriptions": [
            {
                "email": s.email,
                "status": s.status,
                "frequency": s.frequency,
                "topics": s.topics or {},
                "for_you": s.for_you,
                "created": _when(s.created),
                "confirmed_at": _when(s.confirmed_at),
                "unsubscribed_at": _when(s.unsubscribed_at),
            }
            for s in subscriptions_of(user).order_by("pk")
        ],
        "tokens": [
            {
                "name": t.name,
                "scope": t.scope,
                "starts_with": t.prefix,
                "created": _when(t.created),
                "last_used_at": _when(t.last_used_at),
            }
            for t in AccessToken.objects.filter(user=user).order_by("created", "pk")
        ],
        "submissions": [
            {"paper": pid, "title": title, "at": _when(at)}
            for pid, title, at in FeedEntry.objects.filter(submitted_by=user)
            .order_by("submitted_at", "pk")
            .values_list("paper__public_id", "paper__title", "submitted_at")
        ],
        "author_claims": [
            {"author": name, "status": status, "at": _when(at)}
            for name, status, at in AuthorClaim.objects.filter(user=user)
            .order_by("pk")
            .values_list("author__name", "status", "created")
        ],
        "organizations": [
            {"organization": name, "role": role}
            for name, role in OrganizationMember.objects.filter(user=user)
            .order_by("pk")
            .values_list("organization__name", "role")
        ],
    }


def _collection(collection: Collection) -> dict[str, Any]:
    items = CollectionItem.objects.filter(collection=collection).order_by("position", "pk")
    return {
        "id": collection.pk,
        "name": collection.name,
        "description": collection.description,
        "public": collection.public,
        "created": _when(collection.created),
        "modified": _when(collection.modified),
        "papers": [
            {"paper": pid, "title": title, "added": _when(at)}
            for pid, title, at in items.values_list("paper__public_id", "paper__title", "added")
        ],
    }
