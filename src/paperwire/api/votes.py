"""Upvotes and comments with a token: POST/DELETE /api/papers/{id}/upvote, the
discussion as a list (GET …/comments), a new comment (POST …/comment) and a reply
(POST …/comment/{comment id}/reply), in the Hub's comment shape (api/comments.py).

Registered by api.py before /papers/{path:paper_id}, which would take these paths."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from paperwire.api.auth import TOKEN, token_of
from paperwire.api.comments import comment_json, comments_json, page_url
from paperwire.api.me import AUTH_ERRORS
from paperwire.api.me_schemas import CommentIn, PostedCommentOut, VoteOut
from paperwire.api.papers import find_public_paper
from paperwire.api.responses import error, json_response
from paperwire.api.schemas import CommentOut, Error
from paperwire.community import actions, ratelimit
from paperwire.community.models import Comment
from paperwire.papers.ids import number_of_hub_id
from paperwire.papers.models import FeedEntry


def _vote(request: HttpRequest, paper_id: str, up: bool) -> HttpResponse:
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    if not FeedEntry.objects.filter(paper=paper).exists():
        return error("this paper is not in the feed, so it cannot be upvoted", 409)
    voted, count = actions.set_vote(token_of(request).user, paper, up)
    return json_response({"id": paper.public_id, "upvoted": voted, "upvotes": count})


def upvote(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Upvote a paper of the feed (again is fine). Write scope."""
    return _vote(request, paper_id, True)


def remove_upvote(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Take the upvote back (none is fine). Write scope."""
    return _vote(request, paper_id, False)


def list_comments(request: HttpRequest, paper_id: str) -> HttpResponse:
    """The paper's discussion, oldest first; a reply names its parent in
    data.parentCommentId. Deleted or hidden comments keep their place, not their words."""
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    return json_response(comments_json(request, paper))


def _post(request: HttpRequest, paper_id: str, text: str, parent_id: str | None) -> HttpResponse:
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    parent = None
    if parent_id is not None:
        pk = number_of_hub_id("comment", parent_id)
        if pk is None and parent_id.isdigit() and len(parent_id) <= 18:
            pk = int(parent_id)
        parent = Comment.objects.filter(pk=pk, paper=paper).first() if pk else None
        if parent is None or not parent.visible:
            return error(f"no comment {parent_id[:40]!r} to reply to on this paper", 404)
    body = text.strip()
    if not body:
        return error("comment: a comment cannot be empty")
    try:
        comment = actions.add_comment(token_of(request).user, paper, body, parent)
    except actions.CommentingTooFast:
        response = error("you are commenting very fast; please wait a few minutes", 429)
        response["Retry-After"] = str(ratelimit.limit_for("comment-account").seconds)
        return response
    return json_response(comment_json(comment, page_url(request, paper)), 201)


def post_comment(request: HttpRequest, paper_id: str, body: CommentIn) -> HttpResponse:
    """A new comment (Markdown) on the paper's discussion. Write scope."""
    return _post(request, paper_id, body.comment, None)


def reply(request: HttpRequest, paper_id: str, comment_id: str, body: CommentIn) -> HttpResponse:
    """A reply to one comment (its id as the list gives it). Write scope."""
    return _post(request, paper_id, body.comment, comment_id)


def register(api: NinjaAPI) -> None:
    write: dict[str, Any] = {"auth": TOKEN, "tags": ["community"], "by_alias": True}
    api.post(
        "/papers/{path:paper_id}/upvote",
        response={200: VoteOut, 404: Error, 409: Error, **AUTH_ERRORS},
        summary="Upvote a paper (write scope)",
        **write,
    )(upvote)
    api.delete(
        "/papers/{path:paper_id}/upvote",
        response={200: VoteOut, 404: Error, 409: Error, **AUTH_ERRORS},
        summary="Remove your upvote (write scope)",
        **write,
    )(remove_upvote)
    api.get(
        "/papers/{path:paper_id}/comments",
        response={200: list[CommentOut], 404: Error},
        summary="A paper's discussion",
        tags=["community"],
        by_alias=True,
    )(list_comments)
    api.post(
        "/papers/{path:paper_id}/comment",
        response={201: PostedCommentOut, 400: Error, 404: Error, **AUTH_ERRORS},
        summary="Comment on a paper (write scope)",
        **write,
    )(post_comment)
    api.post(
        "/papers/{path:paper_id}/comment/{comment_id}/reply",
        response={201: PostedCommentOut, 400: Error, 404: Error, **AUTH_ERRORS},
        summary="Reply to a comment (write scope)",
        **write,
    )(reply)
