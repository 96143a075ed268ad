"""Small template helpers for paper cards."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html, format_html_join

from paperwire.papers.feed import format_feed_date
from paperwire.papers.models import Paper

register = template.Library()

SHOWN_AUTHORS = 5


@register.simple_tag
def feed_date(value: dt.datetime | dt.date | None) -> str:
    return format_feed_date(value)


@register.simple_tag
def byline(paper: Paper) -> str:
    """The organization line ("tencent Tencent") or the authors, as on the seed pages."""
    parts = []
    org = paper.organization
    if org is not None:
        avatar = (
            format_html('<img src="{}" alt="" width="20" height="20" loading="lazy">', org.avatar)
            if org.avatar
            else format_html('<span class="org-mark" aria-hidden="true">{}</span>', org.name[:1])
        )
        parts.append(
            format_html(
                '<span class="org">{}<span class="org-handle">{}</span> {}</span>',
                avatar,
                org.name,
                org.fullname or org.name,
            )
        )
    names = paper.author_names()
    if names:
        shown = format_html_join(", ", "{}", ((n,) for n in names[:SHOWN_AUTHORS]))
        more = len(names) - SHOWN_AUTHORS
        extra = format_html(" and {} more", more) if more > 0 else ""
        parts.append(format_html('<span class="authors">{}{}</span>', shown, extra))
    elif paper.num_authors:
        count = paper.num_authors
        parts.append(
            format_html(
                '<span class="authors">{} author{}</span>', count, "s" if count != 1 else ""
            )
        )
    if not parts:
        return ""
    return format_html(
        '<p class="byline">{}</p>', format_html_join(" · ", "{}", ((p,) for p in parts))
    )
