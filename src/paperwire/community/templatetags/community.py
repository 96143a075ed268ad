"""Template tags that put community parts (▲ button, discussion) into paper pages.

The papers app's templates load this library; papers' Python never imports community.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from paperwire.community import library
from paperwire.community.forms import CommentForm
from paperwire.community.models import Collection, Comment, Save, Upvote
from paperwire.papers.models import FeedEntry, Paper

register = template.Library()

MAX_DEPTH = 6
# A paper page lists this many of the collections that hold the paper; all of them are
# on the paper's collections page (/papers/<id>/collections).
COLLECTIONS_SHOWN = 5


def votes_context(
    paper: Paper, count: int, voted: bool, *, authenticated: bool, next_url: str
) -> dict[str, Any]:
    return {
        "paper": paper,
        "count": count,
        "voted": voted,
        "authenticated": authenticated,
        "next_url": next_url,
    }


def _voted_ids(request: HttpRequest | None) -> set[int]:
    """The ids of papers the member upvoted, read once per request."""
    if request is None or not request.user.is_authenticated:
        return set()
    cached: set[int] | None = getattr(request, "_paperwire_voted", None)
    if cached is None:
        cached = set(Upvote.objects.filter(user=request.user).values_list("paper_id", flat=True))
        request._paperwire_voted = cached  # type: ignore[attr-defined]
    return cached


# The anonymous branch of community/_votes.html, built without a template render:
# it is on every card of every cached page, where a render per card cost ~16% of a page.
_ANONYMOUS_VOTES = (
    '<div class="votes" title="Upvotes" id="votes-{}"><a class="vote-button" href="{}?next={}"'
    ' rel="nofollow" aria-label="Log in to upvote: {}">▲</a>'
    '<span class="visually-hidden">Upvotes:</span> <span class="n">{}</span></div>'
)


@register.simple_tag(takes_context=True)
def upvote_box(context: template.Context, entry: FeedEntry) -> str:
    request: HttpRequest | None = context.get("request")
    paper = entry.paper
    authenticated = bool(request and request.user.is_authenticated)
    next_url = request.get_full_path() if request else paper.get_absolute_url()
    if not authenticated:
        return format_html(
            _ANONYMOUS_VOTES,
            paper.pk,
            reverse("upvote", args=[paper.public_id]),
            quote(next_url, safe="/"),
            paper.readable_title,
            entry.upvotes,
        )
    data = votes_context(
        paper,
        entry.upvotes,
        paper.pk in _voted_ids(request),
        authenticated=authenticated,
        next_url=next_url,
    )
    data["csrf_token"] = context.get("csrf_token")
    return render_to_string("community/_votes.html", data)


def _saved_ids(request: HttpRequest | None) -> set[int]:
    """The ids of papers in the member's library, read once per request."""
    if request is None or not request.user.is_authenticated:
        return set()
    cached: set[int] | None = getattr(request, "_paperwire_saved", None)
    if cached is None:
        cached = set(Save.objects.filter(user=request.user).values_list("paper_id", flat=True))
        request._paperwire_saved = cached  # type: ignore[attr-defined]
    return cached


def save_context(
    paper: Paper, saved: bool, *, authenticated: bool, next_url: str
) -> dict[str, Any]:
    return {"paper": paper, "saved": saved, "authenticated": authenticated, "next_url": next_url}


# The anonymous Save link, built without a template render for the same reason as the
# anonymous ▲ above: it is on every card of every cached page.
_ANONYMOUS_SAVE = (
    '<span class="save" id="save-{}"><a class="save-button" href="{}?next={}" rel="nofollow"'
    ' aria-label="Log in to save: {}">☆ Save</a></span>'
)


@register.simple_tag(takes_context=True)
def save_box(context: template.Context, paper: Paper) -> str:
    """The one-click Save button of a paper, toggled in place (htmx) like the ▲."""
    request: HttpRequest | None = context.get("request")
    authenticated = bool(request and request.user.is_authenticated)
    next_url = request.get_full_path() if request else paper.get_absolute_url()
    if not authenticated:
        return format_html(
            _ANONYMOUS_SAVE,
            paper.pk,
            reverse("save", args=[paper.public_id]),
            quote(next_url, safe="/"),
            paper.readable_title,
        )
    data = save_context(
        paper, paper.pk in _saved_ids(request), authenticated=True, next_url=next_url
    )
    data["csrf_token"] = context.get("csrf_token")
    return render_to_string("community/_save.html", data)


@register.inclusion_tag("community/_collect.html", takes_context=True)
def collect_box(context: template.Context, paper: Paper) -> dict[str, Any]:
    """On a paper page: add the paper to one of the member's collections."""
    request: HttpRequest | None = context.get("request")
    user = request.user if request is not None else None
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "paper": paper,
        "collections": list(Collection.objects.filter(owner=user).only("pk", "name")),
        "next_url": request.get_full_path() if request else paper.get_absolute_url(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("community/_in_collections.html", takes_context=True)
def collections_including(context: template.Context, paper: Paper) -> dict[str, Any]:
    """The Hub's "Collections including this paper": the public ones (and the viewer's
    own, private ones marked) most recently changed first. Two queries however many
    there are: the count, and the first few with owners and sizes."""
    request: HttpRequest | None = context.get("request")
    holding = library.collections_holding(paper, request.user if request else None)
    total = holding.count()
    shown = list(holding[:COLLECTIONS_SHOWN]) if total else []
    return {"paper": paper, "collections": shown, "total": total, "more": total - len(shown)}


@register.inclusion_tag("community/_discussion.html", takes_context=True)
def discussion(context: template.Context, paper: Paper) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    comments = list(Comment.objects.filter(paper=paper).select_related("author", "author__profile"))
    # Replies deeper than MAX_DEPTH are shown under their ancestor at that depth,
    # so a long chain of replies cannot nest (and recurse) without bound.
    children: dict[int | None, list[Comment]] = {}
    depth: dict[int, int] = {}
    anchor: dict[int, int] = {}
    for comment in comments:  # oldest first: a parent is seen before its replies
        parent = comment.parent_id
        if parent is None or parent not in depth:
            depth[comment.pk] = 0
            shown_under: int | None = None
        else:
            depth[comment.pk] = depth[parent] + 1
            shown_under = anchor[parent]
        deep = depth[comment.pk] >= MAX_DEPTH and shown_under is not None
        anchor[comment.pk] = shown_under if deep and shown_under else comment.pk
        children.setdefault(shown_under, []).append(comment)
    for comment in comments:
        comment.children = children.get(comment.pk, [])  # type: ignore[attr-defined]
    roots = children.get(None, [])
    visible = sum(1 for c in comments if c.visible)
    user = request.user if request else None
    return {
        "paper": paper,
        "roots": roots,
        "count": visible,
        "member": user if user is not None and user.is_authenticated else None,
        "form": CommentForm(),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "in_feed": FeedEntry.objects.filter(paper=paper).exists(),
    }
