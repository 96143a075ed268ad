"""Comment text: Markdown rendered by markdown-it-py, then sanitized by nh3.

Raw HTML in the Markdown is escaped by the renderer (html=False) and the
result is sanitized anyway, so neither layer alone has to be perfect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """`![alt](url)` becomes a link to the image: comments show no images, and with the
    image rule off the same text rendered as a stray "!" before a link."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    text = self.renderInlineAsText(token.children or [], options, env) or src
    opened = sum(t.type == "link_open" for t in tokens[:idx])
    if opened > sum(t.type == "link_close" for t in tokens[:idx]):
        return escapeHtml(text)  # inside a link already: links do not nest
    title = token.attrGet("title")
    title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<a href="{escapeHtml(src)}"{title_attr}>{escapeHtml(text)}</a>'


_md.add_render_rule("image", _image_as_link)

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    """Safe HTML for untrusted Markdown."""
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
