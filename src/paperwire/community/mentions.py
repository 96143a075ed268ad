"""@mentions in comments: which members a comment's names are, and keeping links right.

A comment's HTML is made when its body is saved (community.text), with `@name` linked
to /u/<username> for an active member of that name, in any case (usernames are unique
regardless of case, signups.username_available): one query finds every name of the
comment. The link then stays as it was made, as the rest of the comment does:
  - a member suspended later keeps the link, whose profile answers 404 until they are
    reinstated, as every other link to their profile does;
  - a member who deletes their account takes the links with them (`unlink`: in the
    comments that mention them each such link becomes the name as text), so the
    username, free again, never leads to whoever signs up with it next;
  - usernames never change here (the admin shows them read-only; only an account never
    verified, which cannot be mentioned, takes a new one when signing up again).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import reduce
from operator import or_

from django.contrib.auth.models import User
from django.db.models import Q

from paperwire.community.models import Comment
from paperwire.community.text import MENTION_CLASS, Member, Rendered, mention_href, render


def members_named(names: Sequence[str]) -> Mapping[str, Member]:
    """The active members `names` name, in one query: {name as written: member}. A name
    matches its member's username exactly or, failing that, in another case."""
    if not names:
        return {}
    query = reduce(or_, (Q(username__iexact=name) for name in names))
    rows = list(User.objects.filter(query, is_active=True).values_list("pk", "username"))
    exact = {username: Member(pk, username) for pk, username in rows}
    folded: dict[str, Member] = {}
    for pk, username in sorted(rows):  # the oldest account, if two fold alike
        folded.setdefault(username.casefold(), Member(pk, username))
    found: dict[str, Member] = {}
    for name in names:
        member = exact.get(name) or folded.get(name.casefold())
        if member is not None:
            found[name] = member
    return found


def render_comment(body: str) -> Rendered:
    """A comment's sanitized HTML, and the members it mentions."""
    return render(body, members_named)


def unlink(username: str) -> int:
    """Once `username`'s account is gone, the mentions that link to it become the name
    as text, in every comment (its other links, and the rest, stay as they are).
    Returns how many comments changed."""
    href = html.escape(mention_href(username))
    mention = re.compile(rf'<a href="{re.escape(href)}" class="{MENTION_CLASS}"[^>]*>([^<]*)</a>')
    changed = 0
    # `contains` may match more (another case, on SQLite): the pattern decides.
    for comment in Comment.objects.filter(body_html__contains=f'href="{href}"').only(
        "pk", "body_html"
    ):
        unlinked = mention.sub(r"\1", comment.body_html)
        if unlinked != comment.body_html:
            Comment.objects.filter(pk=comment.pk).update(body_html=unlinked)
            changed += 1
    return changed
