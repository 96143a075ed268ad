"""A paper's discussion in the Hub's shape (/api/papers/{id}?field=comments)."""

from __future__ import annotations

from typing import Any

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


def comment_json(comment: Comment) -> dict[str, Any]:
    gone = not comment.visible or comment.author is None
    latest: dict[str, Any] = {
        # A deleted or hidden comment keeps its place in the thread, not its words.
        "raw": "" if gone else comment.body,
        "html": "" if gone else comment.body_html,
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


def comments_json(paper: Paper) -> list[dict[str, Any]]:
    """Every comment of the paper's thread, oldest first; replies name their parent."""
    comments = Comment.objects.filter(paper=paper).select_related("author", "author__profile")
    return [comment_json(comment) for comment in comments.order_by("created", "pk")]
