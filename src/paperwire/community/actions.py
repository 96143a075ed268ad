"""What members do, as plain functions: vote, submit, comment.

Each write that changes what feed pages show bumps the data version in the
same transaction, so cached pages are renewed everywhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.module_loading import import_string

from paperwire.community import notifications, ratelimit
from paperwire.community.mentions import render_comment
from paperwire.community.models import Comment, Notification, Upvote
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.models import FeedEntry, Paper
from paperwire.papers.store import bump_data_version

log = logging.getLogger(__name__)

SUBMISSIONS_PER_DAY = 5
ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
_PATH_RE = re.compile(r"^/(?:abs|pdf)/(?P<id>.+?)(?:\.pdf)?/?$")


class NotAllowed(Exception):
    """A request that cannot be done; the message says why, for the user."""


class UpstreamUnavailable(NotAllowed):
    """arXiv could not be asked just now: nothing is wrong with the request, and the
    same request may work in a few minutes (retry_after seconds is a fair wait)."""

    retry_after = 120


class CommentingTooFast(Exception):
    """The member's comment-account limit is used up; nothing was posted."""


def parse_arxiv_ref(value: str) -> str:
    """The arXiv id (without version) in an id, 'arXiv:' id or arxiv.org URL.

    Raises ValueError with a message for anything else: no other URL is accepted,
    and nothing is fetched.
    """
    text = value.strip()
    if len(text) > 200:
        raise ValueError("That is too long to be an arXiv id or URL.")
    if text.lower().startswith("arxiv:"):
        text = text[6:].strip()
    if "://" in text or text.lower().startswith(("arxiv.org/", "www.arxiv.org/")):
        parts = urlsplit(text if "://" in text else "https://" + text)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in ARXIV_HOSTS:
            raise ValueError("Only arXiv ids or arxiv.org links are accepted, e.g. 2401.01234.")
        match = _PATH_RE.match(parts.path)
        if not match:
            raise ValueError("That arxiv.org link is not a paper's abs or pdf page.")
        text = match.group("id")
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise ValueError(
            f"{value.strip()[:80]!r} is not an arXiv id: use e.g. 2401.01234 or hep-th/9901001."
        )
    return parsed[0]


def visible_paper(public_id: str) -> Paper | None:
    return Paper.objects.filter(public_id=public_id, hidden=False).first()


def set_vote(user: User, paper: Paper, up: bool) -> tuple[bool, int]:
    """Make the user's vote on a paper up or not. Returns (voted, count).

    Idempotent, so repeated or concurrent requests leave one vote at most, and the
    count moves only when a row was really created or deleted.
    """
    with transaction.atomic():
        changed = 0
        if up:
            try:
                with transaction.atomic():
                    Upvote.objects.create(user=user, paper=paper)
                changed = 1
            except IntegrityError:
                changed = 0
        else:
            deleted, _ = Upvote.objects.filter(user=user, paper=paper).delete()
            changed = -1 if deleted else 0
        if changed:
            FeedEntry.objects.filter(paper=paper).update(
                upvotes=Greatest(F("upvotes") + Value(changed), Value(0))
            )
            bump_data_version()
        count = FeedEntry.objects.filter(paper=paper).values_list("upvotes", flat=True).first()
    return up, count or 0


def _fetch_from_arxiv(arxiv_id: str) -> Paper | None:
    """Ask arXiv for a paper this site has not stored yet.

    The fetcher belongs to the ingest app, a sibling layer, so it is named by a setting
    (PAPERWIRE_PAPER_FETCHER) rather than imported."""
    fetch = import_string(settings.PAPERWIRE_PAPER_FETCHER)
    try:
        fetch([arxiv_id])
    except OSError as exc:
        # The reason (host, errno, retries) is for whoever runs the site, not the member.
        log.warning("arXiv lookup of %s failed: %s", arxiv_id, exc)
        raise UpstreamUnavailable(
            f"arXiv could not be reached just now to look up arXiv:{arxiv_id}; "
            "please try again in a few minutes."
        ) from None
    return Paper.objects.filter(arxiv_id=arxiv_id).first()


def submit_paper(user: User, arxiv_id: str) -> tuple[Paper, bool]:
    """Put a stored paper into today's feed as submitted by the user.

    Returns (paper, joined): joined is False when the paper was already in the
    feed, and the submitter's upvote was given instead.
    """
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        paper = _fetch_from_arxiv(arxiv_id)
    if paper is None:
        raise NotAllowed(f"arXiv has no paper arXiv:{arxiv_id}; check the id and try again.")
    if paper.hidden:
        raise NotAllowed(f"arXiv:{arxiv_id} cannot be submitted here.")
    if FeedEntry.objects.filter(paper=paper).exists():
        set_vote(user, paper, True)
        return paper, False
    since = timezone.now() - dt.timedelta(days=1)
    if FeedEntry.objects.filter(submitted_by=user, submitted_at__gte=since).count() >= (
        SUBMISSIONS_PER_DAY
    ):
        raise NotAllowed(
            f"You can submit {SUBMISSIONS_PER_DAY} papers a day; please try again tomorrow."
        )
    now = timezone.now()
    with transaction.atomic():
        _, created = FeedEntry.objects.get_or_create(
            paper=paper,
            defaults={"feed_date": now.date(), "submitted_at": now, "submitted_by": user},
        )
        bump_data_version()
    set_vote(user, paper, True)
    return paper, created


# A form sent again (Back, then Post; a client retrying) within this time, with the same
# words in the same place, is the comment already made, not a second one.
REPOST_WINDOW = dt.timedelta(minutes=10)


def add_comment(user: User, paper: Paper, body: str, parent: Comment | None) -> Comment:
    """The member's new comment, or their identical one from the last few minutes.
    Only a new comment counts against the member's comment limit (CommentingTooFast
    when it is used up): a form sent again posts nothing, so it spends nothing."""
    with transaction.atomic():
        # One member's posts one at a time, so two copies sent at once cannot both pass
        # the check below (SQLite's IMMEDIATE transactions already serialize writers).
        User.objects.select_for_update().filter(pk=user.pk).first()
        earlier = Comment.objects.filter(
            author=user,
            paper=paper,
            parent=parent,
            body=body,
            deleted=False,
            created__gte=timezone.now() - REPOST_WINDOW,
        ).last()
        if earlier is not None:
            return earlier
        # Counted in one atomic statement, in this transaction: a refused attempt rolls
        # its count back with the rest, and the limit holds under parallel posts.
        if not ratelimit.hit("comment-account", str(user.pk)):
            raise CommentingTooFast
        rendered = render_comment(body)
        comment = Comment.objects.create(
            paper=paper, author=user, parent=parent, body=body, body_html=rendered.html
        )
        count_comments(paper, +1)
        notifications.notify_about(comment, [m.pk for m in rendered.mentioned])
    return comment


def edit_comment(comment: Comment, body: str) -> None:
    """The author's new words; a member they now mention for the first time in this
    comment is notified."""
    with transaction.atomic():
        rendered = render_comment(body)
        comment.body = body
        comment.body_html = rendered.html
        comment.edited = timezone.now()
        comment.save(update_fields=["body", "body_html", "edited"])
        notifications.notify_mentioned(comment, [m.pk for m in rendered.mentioned])
        bump_data_version()


def delete_comment(comment: Comment) -> None:
    """The author's delete: the text goes, the place in the thread stays; the
    notifications it made go too (they would say nothing but "[deleted]")."""
    with transaction.atomic():
        # Decide on the stored row (locked), as set_comment_hidden does: a delete sent
        # twice at once (two tabs) or beside a moderator's hide must uncount it once.
        stored = Comment.objects.select_for_update().values("hidden", "deleted").get(pk=comment.pk)
        comment.hidden, comment.deleted = stored["hidden"], stored["deleted"]
        if comment.deleted:
            return
        was_visible = comment.visible
        comment.deleted = True
        comment.body = ""
        comment.body_html = ""
        comment.save(update_fields=["deleted", "body", "body_html"])
        Notification.objects.filter(comment=comment).delete()
        notifications.withdraw_mail(comment)
        if was_visible:
            count_comments(comment.paper, -1)
        else:
            bump_data_version()


def set_comment_hidden(comment: Comment, hidden: bool) -> bool:
    """A moderator's hide or unhide; True when it changed anything."""
    with transaction.atomic():
        # Decide on the stored row, not this copy: two reports of one comment hidden in one
        # admin action (or two moderators at once) must hide it, and count it, once.
        stored = Comment.objects.select_for_update().values("hidden", "deleted").get(pk=comment.pk)
        comment.hidden, comment.deleted = stored["hidden"], stored["deleted"]
        if comment.hidden == hidden:
            return False
        before = comment.visible
        comment.hidden = hidden
        comment.save(update_fields=["hidden"])
        if hidden:
            notifications.withdraw_mail(comment)
        after = comment.visible
        if before != after:
            count_comments(comment.paper, 1 if after else -1)
        else:
            bump_data_version()
    return True


def count_comments(paper: Paper | int, delta: int) -> None:
    """Add `delta` to the paper's (or paper id's) count of visible comments, never below 0."""
    FeedEntry.objects.filter(paper=paper).update(
        num_comments=Greatest(F("num_comments") + Value(delta), Value(0))
    )
    bump_data_version()
