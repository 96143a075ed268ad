"""Small template helpers for paper cards."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlsplit

from django import template
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from paperwire.papers.feed import format_feed_date
from paperwire.papers.models import Organization, Paper
from paperwire.papers.tex import abstract_preview_html

register = template.Library()

SHOWN_AUTHORS = 5


@register.filter(is_safe=True)
def preview(value: str, length: int) -> str:
    """truncatechars, without its per-character loop on ASCII text (most abstracts):
    ASCII has nothing to normalize and no combining characters, so slicing is the same."""
    if isinstance(value, str) and isinstance(length, int) and length > 0 and value.isascii():
        return value if len(value) <= length else value[: length - 1] + "…"
    return truncatechars(value, length)


@register.filter
def abstract_preview(value: str, length: int) -> SafeString:
    """The start of an abstract as a feed card's summary shows it, formulas drawn."""
    return abstract_preview_html(value, length)


@register.simple_tag
def feed_date(value: dt.datetime | dt.date | None) -> str:
    return format_feed_date(value)


@register.simple_tag
def byline(paper: Paper, site: str = "") -> str:
    """The organization line ("tencent Tencent") or the authors, as on the seed pages,
    linked to their pages; ``site`` makes the links absolute (for e-mail)."""
    # Plain escape() and f-strings, not format_html: fifty cards a page made format_html
    # a tenth of a feed page's render time. The markup is the same.
    parts = []
    org = paper.organization
    if org is not None:
        # A mail (``site`` given) shows any avatar; a page only one its CSP lets load.
        if org.avatar and (site or _on_this_site(org.avatar)):
            avatar = f'<img src="{_e(org.avatar)}" alt="" width="20" height="20" loading="lazy">'
        else:
            avatar = f'<span class="org-mark" aria-hidden="true">{_e(org.name[:1])}</span>'
        handle = f'<span class="org-handle">{_e(org.name)}</span> ' if org.shows_handle else ""
        org_url = _e(site + reverse("organization", args=[org.name]))
        parts.append(f'<a class="org" href="{org_url}">{avatar}{handle}{_e(org.display_name)}</a>')
    names = paper.author_refs()
    if names:
        prefix = _e(site + _author_prefix())
        shown = ", ".join(
            f'<a class="author" href="{prefix}{pk}">{_e(name)}</a>'
            for pk, name in names[:SHOWN_AUTHORS]
        )
        more = len(names) - SHOWN_AUTHORS
        extra = f" and {more} more" if more > 0 else ""
        parts.append(f'<span class="authors">{shown}{extra}</span>')
    elif paper.num_authors:
        count = paper.num_authors
        parts.append(f'<span class="authors">{count} author{"s" if count != 1 else ""}</span>')
    if not parts:
        return ""
    # Every value above went through _e().
    return mark_safe('<p class="byline">' + " · ".join(parts) + "</p>")  # noqa: S308


@register.simple_tag(takes_context=True)
def org_avatar(context: template.Context, org: Organization) -> SafeString:
    """An organization's picture (40 px, as .org-avatar is) where the page may show it,
    else its initial.

    Pages allow images from this site only (settings.CONTENT_SECURITY_POLICY, img-src
    'self'); an avatar elsewhere (every imported one: the Hub's are absolute URLs) would
    be refused by the browser and leave an empty square, so the initial stands in."""
    request = context.get("request")
    url = org.avatar
    if url and _on_this_site(url, request if isinstance(request, HttpRequest) else None):
        return mark_safe(  # noqa: S308 - escaped
            f'<img class="org-avatar" src="{_e(url)}" alt="" width="40" height="40" loading="lazy">'
        )
    return mark_safe(  # noqa: S308 - escaped
        f'<span class="org-avatar org-mark" aria-hidden="true">{_e(org.name[:1])}</span>'
    )


def _on_this_site(url: str, request: HttpRequest | None = None) -> bool:
    """A path on this site ("/media/x.png"), or, given the request, an absolute URL of
    its own scheme and host: the images settings.CONTENT_SECURITY_POLICY lets load."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return url.startswith("/")
    return request is not None and (parts.scheme, parts.netloc) == (
        request.scheme,
        request.get_host(),
    )


_author_prefixes: dict[str, str] = {}


def _author_prefix() -> str:
    """'/authors/' under the current script prefix: reverse() once per prefix, not once
    per name on every card (see the note in byline)."""
    script = get_script_prefix()
    prefix = _author_prefixes.get(script)
    if prefix is None:
        prefix = _author_prefixes[script] = reverse("author", args=[0])[:-1]
    return prefix


def _e(value: object) -> str:
    """What django.utils.html.escape returns, without its lazy-string wrapper."""
    return html.escape(str(value))
