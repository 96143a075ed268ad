"""Moderation in the Django admin. Every action writes a ModerationLog row."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from paperwire.community import (
    account_admin,  # noqa: F401 - registers accounts' admin
    actions,
    notifications,
)
from paperwire.community.models import (
    AuthorClaim,
    Comment,
    CommentReport,
    Member,
    ModeratedPaper,
    ModerationLog,
    OrganizationMember,
    Profile,
)
from paperwire.papers.store import bump_data_version


def comment_excerpt(comment: Comment, words: int = 12) -> str:
    """The first words of a comment's Markdown, on one line, for the admin's lists (which
    escape it: members' text is never marked safe there)."""
    if comment.deleted and not comment.body:
        return "[deleted by its author]"
    return Truncator(" ".join(comment.body.split())).words(words, truncate="…")


def log_action(request: HttpRequest, action: str, target: Model, note: str = "") -> None:
    ModerationLog.objects.create(
        actor=request.user if request.user.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        note=note[:500],
    )


class RenewsCachedPages(admin.ModelAdmin):
    """Comments, claims, memberships and profiles show on pages and in the API that are
    cached for readers until the data changes: an edit or a deletion in the admin says so."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        bump_data_version()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        bump_data_version()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        bump_data_version()


def _said(changed: int, selected: int, noun: str, hidden: bool) -> str:
    """What a hide or show action did, as the other actions say it ("2 member(s)
    suspended."), and how many of the selection were so already."""
    done = "hidden" if hidden else "shown again"
    message = f"{changed} {noun}(s) {done}."
    if selected > changed:
        message += f" {selected - changed} already {'were' if selected - changed > 1 else 'was'}."
    return message


@admin.register(ModeratedPaper)
class ModeratedPaperAdmin(admin.ModelAdmin):
    list_display = ["public_id", "title", "hidden", "created"]
    list_filter = ["hidden"]
    search_fields = ["public_id", "title"]
    actions = ["hide_papers", "unhide_papers"]
    fields = ("public_id", "arxiv_id", "title", "abstract", "hidden")
    readonly_fields = ("public_id", "arxiv_id", "title", "abstract", "hidden")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet, hidden: bool) -> None:
        with transaction.atomic():
            changed = selected = 0
            for paper in queryset.select_for_update():
                selected += 1
                if paper.hidden != hidden:
                    paper.hidden = hidden
                    paper.save(update_fields=["hidden"])
                    log_action(request, "hide paper" if hidden else "unhide paper", paper)
                    changed += 1
            if changed:
                bump_data_version()
        self.message_user(request, _said(changed, selected, "paper", hidden), messages.SUCCESS)

    @admin.action(description="Hide selected papers from feeds and the API")
    def hide_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show selected papers again")
    def unhide_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, False)


@admin.register(Comment)
class CommentAdmin(RenewsCachedPages):
    list_display = ["pk", "text", "author", "paper", "created", "hidden", "deleted"]
    list_select_related = ["author", "paper"]
    list_filter = ["hidden", "deleted"]
    search_fields = ["body", "author__username"]
    actions = ["hide_comments", "unhide_comments"]
    fields = ("paper", "author", "parent", "body", "created", "edited", "deleted", "hidden")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="text")
    def text(self, comment: Comment) -> str:
        return comment_excerpt(comment)

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet, hidden: bool) -> None:
        changed = selected = 0
        for comment in queryset.select_related("paper"):
            selected += 1
            if actions.set_comment_hidden(comment, hidden):
                log_action(request, "hide comment" if hidden else "unhide comment", comment)
                changed += 1
        self.message_user(request, _said(changed, selected, "comment", hidden), messages.SUCCESS)

    @admin.action(description="Hide selected comments")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show selected comments again")
    def unhide_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, False)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self._delete(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._delete(request, list(queryset))

    def _delete(self, request: HttpRequest, comments: list[Any]) -> None:
        """Delete the comments and the replies under them (the database cascades to
        them), taking the visible ones out of their papers' comment counts, which a
        plain delete left counting, and dropping reply mails still queued about them."""
        with transaction.atomic():
            ids: set[int] = set()
            frontier = [c.pk for c in comments]
            while frontier:
                ids.update(frontier)
                frontier = list(
                    Comment.objects.filter(parent_id__in=frontier)
                    .exclude(pk__in=ids)
                    .values_list("pk", flat=True)
                )
            doomed = Comment.objects.filter(pk__in=ids)
            visible = Counter(
                doomed.filter(hidden=False, deleted=False).values_list("paper_id", flat=True)
            )
            for comment in comments:
                log_action(request, "delete comment", comment)
            for comment in doomed:
                notifications.withdraw_mail(comment)
            doomed.delete()
            for paper_id, count in visible.items():
                actions.count_comments(paper_id, -count)
        bump_data_version()


@admin.register(CommentReport)
class CommentReportAdmin(admin.ModelAdmin):
    list_display = ["comment", "comment_text", "reporter", "reason", "created", "resolved"]
    list_filter = ["resolved"]
    search_fields = ["comment__body", "reason", "reporter__username"]
    actions = ["hide_reported", "dismiss"]
    # A moderator deciding on a report reads the whole comment and can open it where
    # readers see it, without leaving the report.
    readonly_fields = [
        "comment",
        "comment_words",
        "where",
        "reporter",
        "reason",
        "created",
        "resolved",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("comment__author", "comment__paper", "reporter")
        )

    @admin.display(description="the comment's words")
    def comment_words(self, report: CommentReport) -> str:
        return report.comment.body  # shown escaped, its line breaks kept, by the admin

    @admin.display(description="on the site")
    def where(self, report: CommentReport) -> SafeString:
        comment = report.comment
        return format_html(
            '<a href="{}">{}</a>{}',
            comment.get_absolute_url(),
            comment.paper.title,
            " (hidden by moderators)" if comment.hidden else "",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # readers report comments; staff only decide

    @admin.display(description="comment text")
    def comment_text(self, report: CommentReport) -> str:
        return comment_excerpt(report.comment)

    @admin.action(description="Hide the reported comments (and resolve)")
    def hide_reported(self, request: HttpRequest, queryset: QuerySet) -> None:
        hidden = resolved = 0
        for report in queryset.select_related("comment__paper"):
            if actions.set_comment_hidden(report.comment, True):
                log_action(request, "hide comment", report.comment, f"report {report.pk}")
                hidden += 1  # once per comment: a second report's hide changes nothing
            report.resolved = True
            report.save(update_fields=["resolved"])
            log_action(request, "resolve report", report)
            resolved += 1
        self.message_user(
            request,
            f"{hidden} comment(s) hidden; {resolved} report(s) resolved.",
            messages.SUCCESS,
        )

    @admin.action(description="Dismiss the reports")
    def dismiss(self, request: HttpRequest, queryset: QuerySet) -> None:
        dismissed = 0
        for report in queryset:
            report.resolved = True
            report.save(update_fields=["resolved"])
            log_action(request, "dismiss report", report)
            dismissed += 1
        self.message_user(request, f"{dismissed} report(s) dismissed.", messages.SUCCESS)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["username", "email", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "profile__suspended"]
    search_fields = ["username", "email"]
    fields = ("username", "email", "is_active", "date_joined", "last_login")
    readonly_fields = ("username", "email", "is_active", "date_joined", "last_login")
    actions = ["suspend", "reinstate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description="Suspend selected members (they are logged out)")
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        suspended = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot suspend yourself.", messages.ERROR)
                continue
            profile, _ = Profile.objects.get_or_create(user=user)
            profile.suspended = True
            profile.save(update_fields=["suspended"])
            user.is_active = False
            user.save(update_fields=["is_active"])
            log_action(request, "suspend user", user)
            suspended += 1
        if suspended:
            # A suspended member's public collections leave the paper pages that list
            # them, which are cached for readers until the data changes.
            bump_data_version()
        self.message_user(request, f"{suspended} member(s) suspended.", messages.SUCCESS)

    @admin.action(description="Reinstate selected members")
    def reinstate(self, request: HttpRequest, queryset: QuerySet) -> None:
        reinstated = 0
        for user in queryset:
            profile, _ = Profile.objects.get_or_create(user=user)
            profile.suspended = False
            profile.email_verified = True
            profile.save(update_fields=["suspended", "email_verified"])
            user.is_active = True
            user.save(update_fields=["is_active"])
            log_action(request, "reinstate user", user)
            reinstated += 1
        if reinstated:
            bump_data_version()
        self.message_user(request, f"{reinstated} member(s) reinstated.", messages.SUCCESS)


@admin.register(AuthorClaim)
class AuthorClaimAdmin(RenewsCachedPages):
    list_display = ["user", "author", "status", "created", "decided_at"]
    list_filter = ["status"]
    readonly_fields = ["user", "author", "status", "created", "decided_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members claim authors; staff only decide

    actions = ["approve", "reject"]

    def _decide(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        decided = 0
        for claim in queryset:
            claim.status = status
            claim.decided_at = timezone.now()
            claim.save(update_fields=["status", "decided_at"])
            log_action(request, f"{status} claim", claim)
            decided += 1
        if decided:
            # Claimed authors show on paper pages and in the API (status, isAuthorParticipating),
            # which are cached for readers until the data changes.
            bump_data_version()
        self.message_user(request, f"{decided} claim(s) {status}.", messages.SUCCESS)

    @admin.action(description="Approve selected author claims")
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, AuthorClaim.APPROVED)

    @admin.action(description="Reject selected author claims")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, AuthorClaim.REJECTED)


@admin.register(OrganizationMember)
class OrganizationMemberAdmin(RenewsCachedPages):
    list_display = ["organization", "user", "role"]
    raw_id_fields = ["organization", "user"]


@admin.register(Profile)
class ProfileAdmin(RenewsCachedPages):
    list_display = ["user", "display_name", "email_verified", "suspended"]
    readonly_fields = ["user", "email_verified", "suspended"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a profile is made with its account, at sign-up

    def save_model(self, request: HttpRequest, obj: Profile, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        log_action(request, "edit profile", obj)


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["created", "actor", "action", "target_type", "target_repr", "note"]
    list_filter = ["action"]
    readonly_fields = [
        "created",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "note",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
