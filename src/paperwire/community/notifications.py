"""Reply notifications: "someone answered you".

A new comment notifies (community.actions.add_comment calls `notify_about`, in the
comment's transaction) the author of the comment it replies to, the members it
mentions (@username, community.mentions), the members whose authorship of the paper
staff approved, and the member who submitted the paper: once each, with the most
specific reason (reply > mention > authored > submitted: a reply answers the member's
own words, a mention is addressed to them, the other two only concern their paper),
never the comment's own author, and only active accounts. An edit that adds a mention
notifies the member newly mentioned (`notify_mentioned`), unless this comment
notified them already; a mention an edit removes leaves its notification.

Each notification is also mailed, through the outbox like every mail of the site, to a
member who has a verified address and has not turned these mails off (Settings, or the
mail's one-click link), at most as often as the "reply-mail" rate limit allows (one per
five minutes by default); the notification itself is always made.

What a notification shows follows its comment: the comment's author deleting it (or
their account) takes its notifications away; a comment hidden by moderators shows as
"[hidden by moderators]", without its author or words, as in the thread; a hidden
paper's notifications are not listed.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags

from paperwire.community import ratelimit
from paperwire.community.models import AuthorClaim, Comment, Notification, Profile
from paperwire.mail.links import one_click_unsubscribe, read_signed_id, sign_id
from paperwire.mail.models import Mail
from paperwire.mail.outbox import queue_mail
from paperwire.papers.models import FeedEntry

EXCERPT_LENGTH = 200
MAIL_KIND = "reply"
# Names the comment a reply mail is about, to find it in the outbox (withdraw_mail).
COMMENT_HEADER = "X-Paperwire-Comment"
# Mail links that turn reply mails off never expire: an old mail must stop the next.
MAIL_OFF_SALT = "paperwire.community.reply-mail-off"
# Where the header's count stops counting.
HEADER_MAX = 99

_BREAKS = re.compile(r"<(?:br|hr|/(?:p|li|h[1-6]|pre|blockquote|ul|ol))\b[^>]*>")


def recipients(comment: Comment, mentioned: Iterable[int] = ()) -> dict[int, str]:
    """Who a new comment notifies, each with the most specific reason: {user id: reason}.
    `mentioned`: the ids of the members its text mentions."""
    found: dict[int, str] = {}
    # Least specific first, so a more specific reason overwrites it.
    submitted = FeedEntry.objects.filter(paper_id=comment.paper_id, submitted_by__isnull=False)
    for pk in submitted.values_list("submitted_by_id", flat=True):
        found[pk] = Notification.SUBMITTED
    claims = AuthorClaim.objects.filter(
        status=AuthorClaim.APPROVED, author__paper_authors__paper_id=comment.paper_id
    )
    for pk in claims.values_list("user_id", flat=True):
        found[pk] = Notification.AUTHORED
    for pk in mentioned:
        found[pk] = Notification.MENTION
    parent = comment.parent
    if parent is not None and parent.author_id is not None:
        found[parent.author_id] = Notification.REPLY
    if comment.author_id is not None:
        found.pop(comment.author_id, None)  # never of one's own doing
    active = set(User.objects.filter(pk__in=found, is_active=True).values_list("pk", flat=True))
    return {pk: reason for pk, reason in found.items() if pk in active}


def notify_about(comment: Comment, mentioned: Iterable[int] = ()) -> list[Notification]:
    """Make the notifications of a new comment and queue their mails (in the caller's
    transaction: both are stored with the comment, or neither)."""
    made = [
        Notification.objects.create(recipient_id=pk, comment=comment, reason=reason)
        for pk, reason in recipients(comment, mentioned).items()
    ]
    _mail(made)
    return made


def notify_mentioned(comment: Comment, mentioned: Iterable[int]) -> list[Notification]:
    """An edited comment's mentions: a notification (and its mail) for each active member
    it mentions whom it has not notified yet, never its author. In the caller's
    transaction."""
    told = set(Notification.objects.filter(comment=comment).values_list("recipient_id", flat=True))
    new = set(mentioned) - told - {comment.author_id}
    active = User.objects.filter(pk__in=new, is_active=True).values_list("pk", flat=True)
    made = []
    for pk in sorted(active):
        try:
            with transaction.atomic():  # an edit sent twice at once: one of them makes it
                made.append(
                    Notification.objects.create(
                        recipient_id=pk, comment=comment, reason=Notification.MENTION
                    )
                )
        except IntegrityError:
            continue
    _mail(made)
    return made


def _mail(made: list[Notification]) -> None:
    for notification in made:
        if wants_mail(notification.recipient) and ratelimit.hit(
            "reply-mail", str(notification.recipient_id)
        ):
            queue_reply_mail(notification)


def wants_mail(user: User) -> bool:
    """A verified, active account that did not turn reply mails off."""
    profile = Profile.objects.filter(user=user).first()
    return bool(
        user.is_active
        and (user.email or "").strip()
        and profile is not None
        and profile.email_verified
        and not profile.suspended
        and profile.email_on_reply
    )


def excerpt(comment: Comment, length: int = EXCERPT_LENGTH) -> str:
    """The comment's words as plain text, at most `length` characters: from its
    sanitized HTML, so nothing of the Markdown's syntax (or any markup) shows."""
    text = html.unescape(strip_tags(_BREAKS.sub(" ", comment.body_html)))
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def actor_name(comment: Comment) -> str:
    author = comment.author
    if author is None:
        return "[deleted]"
    try:
        profile: Profile | None = author.profile  # select_related by listed()
    except Profile.DoesNotExist:
        profile = None
    return (profile.display_name if profile else "") or author.username


# --- the mail ---------------------------------------------------------------------------


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def mail_off_token(user: User | int) -> str:
    return sign_id(MAIL_OFF_SALT, user if isinstance(user, int) else int(user.pk))


def user_of_mail_off_token(token: str) -> int:
    """The account id of a "turn reply mails off" link (mail.links.BadToken if none)."""
    return read_signed_id(MAIL_OFF_SALT, token)


def mail_off_url(user: User) -> str:
    return site_url(reverse("reply_mail_off", args=[mail_off_token(user)]))


# The mail's footer: "You get this e-mail from <site> because …".
BECAUSE = {
    Notification.REPLY: "someone replied to your comment",
    Notification.MENTION: "someone mentioned you in a comment",
    Notification.AUTHORED: "you are an author of this paper",
    Notification.SUBMITTED: "you submitted this paper",
}


def queue_reply_mail(notification: Notification) -> None:
    comment = notification.comment
    recipient = notification.recipient
    who = actor_name(comment)
    title = comment.paper.readable_title
    what = notification.get_reason_display()
    off = mail_off_url(recipient)
    text = excerpt(comment, 500)
    context: dict[str, Any] = {
        "site_name": settings.SITE_NAME,
        "who": who,
        "what": what,
        "because": BECAUSE[notification.reason],
        "paper_title": title,
        "comment_url": site_url(comment.get_absolute_url()),
        "excerpt": text,
        "excerpt_lines": textwrap.wrap(text, 72),
        "notifications_url": site_url(reverse("notifications")),
        "settings_url": site_url(reverse("settings")) + "#notify-h",
        "mail_off_url": off,
    }
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    queue_mail(
        recipient.email,
        f"{who} {what} on “{title}”",
        render_to_string("community/email/reply.txt", context),
        html=render_to_string("community/email/reply.html", context),
        kind=MAIL_KIND,
        headers={
            **one_click_unsubscribe(off),
            "List-Id": f"{settings.SITE_NAME} replies <replies.{host}>",
            COMMENT_HEADER: str(comment.pk),
        },
    )


def withdraw_mail(comment: Comment) -> int:
    """Drop the mails about `comment` still waiting in the outbox (the mail server was
    down): its author deleted it or moderators hid it, so its words must not go out."""
    waiting = Mail.objects.filter(kind=MAIL_KIND, status=Mail.QUEUED)
    deleted, _ = waiting.filter(**{f"headers__{COMMENT_HEADER}": str(comment.pk)}).delete()
    return deleted


def set_reply_mail(user: User | int, on: bool) -> None:
    pk = user if isinstance(user, int) else int(user.pk)
    Profile.objects.filter(user_id=pk).update(email_on_reply=on)


# --- reading them -----------------------------------------------------------------------


def listed(user: User) -> QuerySet[Notification]:
    """The member's notifications as /notifications lists them, newest first."""
    return (
        Notification.objects.filter(recipient=user, comment__paper__hidden=False)
        .select_related("comment", "comment__paper", "comment__author__profile")
        .order_by("-created", "-pk")
    )


def unread(user: User) -> QuerySet[Notification]:
    """Unread notifications of comments still to be seen (not hidden by moderators)."""
    return listed(user).filter(read_at__isnull=True, comment__hidden=False, comment__deleted=False)


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_read(user: User, pk: int) -> Notification | None:
    """The member's notification `pk`, now read; None if it is not theirs (or gone)."""
    found = listed(user).filter(pk=pk).first()
    if found is not None and found.read_at is None:
        found.read_at = timezone.now()
        Notification.objects.filter(pk=found.pk).update(read_at=found.read_at)
    return found


class UnreadCount:
    """The header's count of unread notifications, counted the first time a page shows
    it (one capped COUNT), never for a page that does not."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def number(self) -> int:
        return unread(self.user)[: HEADER_MAX + 1].count()

    @property
    def text(self) -> str:
        return f"{HEADER_MAX}+" if self.number > HEADER_MAX else str(self.number)


def header(request: HttpRequest) -> dict[str, Any]:
    """Context processor: a member's UnreadCount as `unread_notifications`."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadCount(user)}
