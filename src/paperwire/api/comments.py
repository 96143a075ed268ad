"""A paper's discussion in the Hub's shape (/api/papers/{id}?field=comments).

A comment's `html` is shown away from this site, so its links are absolute: the links
of @mentions (/u/<name>) and whatever relative links a member wrote resolve against
the paper's page, on the host (and scheme) the request came to."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.http import HttpRequest

from paperwire.community.models import Comment
from paperwire.papers.ids import hub_id
from paperwire.papers.models import Paper
from paperwire.papers.records import iso_z


def comment_author_json(user: Any) -> dict[str, Any]:
    """The Hub's author of a comment. isMod is true for this site's moderators (staff);
    nobody here works at Hugging Face or has its Pro plan."""
    profile = getattr(user, "profile", None)
    name = user.get_username()
    fullname = (profile.display_name if profile else "") or user.get_full_name() or name
    return {
        "_id": hub_id("user", user.pk),
        "avatarUrl": "",
        "fullname": fullname,
        "name": name,
        "isHf": False,
        "isHfAdmin": False,
        "isMod": bool(user.is_staff),
        "type": "user",
        "isPro": False,
    }


_HREF = re.compile(r'href="([^"]*)"')


def absolute_links(body_html: str, page_url: str) -> str:
    """Sanitized comment HTML with each relative href made absolute against page_url."""

    def absolute(match: re.Match[str]) -> str:
        href = html.unescape(match[1])
        if urlsplit(href).scheme:
            return match[0]
        return f'href="{html.escape(urljoin(page_url, href))}"'

    return _HREF.sub(absolute, body_html)


def page_url(request: HttpRequest, paper: Paper) -> str:
    """The paper's page as the request's client reaches it: what comment links resolve
    against."""
    return request.build_absolute_uri(paper.get_absolute_url())


def comment_json(comment: Comment, page: str) -> dict[str, Any]:
    """`page`: the absolute URL of the paper's page (page_url)."""
    gone = not comment.visible or comment.author is None
    latest: dict[str, Any] = {
        # A deleted or hidden comment keeps its place in the thread, not its words.
        "raw": "" if gone else comment.body,
        "html": "" if gone else absolute_links(comment.body_html, page),
        "updatedAt": iso_z(comment.edited or comment.created),
    }
    author = None if gone or comment.author is None else comment_author_json(comment.author)
    if author is not None:
        latest["author"] = author
    data: dict[str, Any] = {
        "edited": comment.edited is not None,
        "hidden": gone,
        "latest": latest,
        "numEdits": 1 if comment.edited else 0,
        "editors": [] if author is None else [author["name"]],
        "editorAvatarUrls": [] if gone else [""],
        "reactions": [],
    }
    if comment.parent_id is not None:
        data["parentCommentId"] = hub_id("comment", comment.parent_id)
    item: dict[str, Any] = {
        "id": hub_id("comment", comment.pk),
        "createdAt": iso_z(comment.created),
        "type": "comment",
    }
    if author is not None:
        item["author"] = author
    item["data"] = data
    return item


def comments_json(request: HttpRequest, paper: Paper) -> list[dict[str, Any]]:
    """Every comment of the paper's thread, oldest first; replies name their parent."""
    comments = Comment.objects.filter(paper=paper).select_related("author", "author__profile")
    page = page_url(request, paper)
    return [comment_json(comment, page) for comment in comments.order_by("created", "pk")]
