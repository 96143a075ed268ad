"""People and what they do here: profiles, upvotes, comments, claims, moderation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.urls import reverse

from paperwire.papers.models import Author, Organization, Paper

COMMENT_MAX_LENGTH = 10_000


class Profile(models.Model):
    """What a user tells about themselves, and the state of their account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    # One http(s) URL per line.
    links = models.TextField(max_length=2000, blank=True)
    email_verified = models.BooleanField(default=False)
    # Set by moderators; a suspended account is also inactive, and e-mail
    # verification never reactivates it.
    suspended = models.BooleanField(default=False)
    # An address change asked for and not yet confirmed (community.address_change): the
    # one address whose link works; a newer request, the change itself or a cancel
    # replaces it, so every older link is dead.
    pending_email = models.EmailField(max_length=254, blank=True)
    pending_email_at = models.DateTimeField(null=True, blank=True)
    # A mail for each notification (community.notifications); Settings and the mail's
    # one-click link turn it off.
    email_on_reply = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class Upvote(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upvotes"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvote_rows")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="upvote_user_paper_uniq")
        ]
        indexes = [models.Index(fields=["user", "-created"], name="upvote_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ▲ {self.paper_id}"


class Comment(models.Model):
    """One comment in a paper's threaded discussion. The body is Markdown."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="discussion")
    # None once its author deleted their account: the comment stays, as "[deleted]",
    # so that the replies of others keep their place in the thread.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    # The sanitized rendering of body, made when the body is saved.
    body_html = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    edited = models.DateTimeField(null=True, blank=True)
    # Deleted by its author: kept (so replies keep their place) but shown as deleted.
    deleted = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")

    class Meta:
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["paper", "created"], name="comment_paper_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author} on {self.paper.public_id}"

    def get_absolute_url(self) -> str:
        return reverse("paper", args=[self.paper.public_id]) + f"#c{self.pk}"

    @property
    def visible(self) -> bool:
        return not (self.deleted or self.hidden)


class Notification(models.Model):
    """Someone answered a member: replied to their comment, mentioned them (@username),
    or commented on a paper they authored (an approved claim) or submitted. One per
    member and comment, with the most specific reason; made by community.notifications
    when the comment is posted (or, for a mention, edited in)."""

    REPLY, MENTION, AUTHORED, SUBMITTED = "reply", "mention", "authored", "submitted"
    # Most specific first: the reason a notification is made with.
    REASONS = [
        (REPLY, "replied to your comment"),
        (MENTION, "mentioned you"),
        (AUTHORED, "commented on your paper"),
        (SUBMITTED, "commented on a paper you submitted"),
    ]

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Who did it is the comment's author; the thread's rules (deleted, hidden) apply.
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    reason = models.CharField(max_length=10, choices=REASONS)
    created = models.DateTimeField(auto_now_add=True)
    # When the member opened it or marked all read; None while it is unread.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "comment"], name="notification_once_uniq")
        ]
        indexes = [models.Index(fields=["recipient", "-created"], name="notification_list_idx")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.reason} ({self.comment_id})"


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    reason = models.CharField(max_length=500)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_uniq")
        ]

    def __str__(self) -> str:
        return f"report on comment {self.comment_id}"


class OrganizationMember(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="org_member_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"


class AuthorClaim(models.Model):
    """A user's request to be recognised as an author; staff approve or reject it."""

    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
    STATUSES = [(PENDING, "pending"), (APPROVED, "approved"), (REJECTED, "rejected")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims"
    )
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    created = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "author"], name="claim_once_uniq")]

    def __str__(self) -> str:
        return f"{self.user} claims {self.author} ({self.status})"


class ModerationLog(models.Model):
    """Every moderation action, written by the admin actions that perform it."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=50)
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    note = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"


class ModeratedPaper(Paper):
    """Papers as moderators see them in the admin (hide / unhide)."""

    class Meta:
        proxy = True
        verbose_name = "paper (moderation)"
        verbose_name_plural = "papers (moderation)"


class Member(User):
    """Accounts as moderators see them in the admin (suspend / reinstate)."""

    class Meta:
        proxy = True
        verbose_name = "member (moderation)"
        verbose_name_plural = "members (moderation)"


class ResetRequest(models.Model):
    """A password reset asked for, done off the request (community.resets): the page
    does the same work whether or not the address has an account."""

    email = models.EmailField(max_length=254)
    # Where the link in the mail points: the host the person asked from.
    domain = models.CharField(max_length=255)
    use_https = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reset for {self.email}"


class RateCounter(models.Model):
    """Attempts for one (scope, key) in its current window, which starts at the first
    attempt after the last window ended (so a burst never straddles a shared boundary).

    Counted with one INSERT … ON CONFLICT DO UPDATE … RETURNING (ratelimit.hit), which
    both databases run atomically, so parallel requests in every process see one count."""

    key = models.CharField(max_length=64, unique=True, help_text="hash of scope and key")
    count = models.PositiveIntegerField(default=0)
    # Seconds since the epoch: when the window began and ends.
    started = models.FloatField()
    expires = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}…: {self.count}"


class Save(models.Model):
    """A paper in a member's library, saved in one click. The saves are the member's
    private reading list, each read or unread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saves"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="save_rows")
    created = models.DateTimeField(auto_now_add=True)
    # When the member marked it read; None while it is unread.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="save_user_paper_uniq")
        ]
        indexes = [models.Index(fields=["user", "-created"], name="save_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} saved {self.paper_id}"


COLLECTION_NAME_MAX = 100
COLLECTION_DESCRIPTION_MAX = 2000


class Collection(models.Model):
    """A member's named, ordered list of papers; public ones have a page and feeds."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=COLLECTION_NAME_MAX)
    description = models.TextField(max_length=COLLECTION_DESCRIPTION_MAX, blank=True)
    public = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="collection_owner_name_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} by {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("collection", args=[self.pk])


class CollectionItem(models.Model):
    """A paper's place in a collection: position 0 first."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    position = models.PositiveIntegerField(default=0)
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="collection_paper_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} in collection {self.collection_id}"


class AccessToken(models.Model):
    """A personal access token for the API. Only its SHA-256 is stored: the token itself
    is shown once, when it is made."""

    READ, WRITE = "read", "write"
    SCOPES = [(READ, "read"), (WRITE, "write")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=SCOPES, default=READ)
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 of the token")
    # The token's first characters, so a member can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"token {self.name!r} of {self.user} ({self.scope})"

    @property
    def can_write(self) -> bool:
        return self.scope == self.WRITE
