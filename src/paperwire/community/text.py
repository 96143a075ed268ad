"""Comment text: Markdown rendered by markdown-it-py, then sanitized by nh3.

Raw HTML in the Markdown is escaped by the renderer (html=False) and the
result is sanitized anyway, so neither layer alone has to be perfect.

@mentions: `@name` in the text of a comment (not in a code span or block, not in a
link's text, not inside a word, so not in an address like a@b.org, and not escaped as
a backslash and @name) becomes a link to the member's profile,
`<a href="/u/name" class="mention">`, when `members` (a lookup the caller passes, one
call for all the names) says the member exists. Only the first MAX_MENTIONS different
names are looked up; the rest stay text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import nh3
from django.urls import reverse
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

# `\@name` (an escaped @) is no mention: until mentions are linked, its @ is this
# character, which no text can hold (CommonMark's normalizing makes NUL U+FFFD).
_ESCAPED_AT = "\x00"


def _mark_escaped_at(state: Any) -> None:
    for block in state.tokens:
        for child in block.children or []:
            if child.type == "text_special" and child.info == "escape" and child.content == "@":
                child.content = _ESCAPED_AT


# Before text_join, which makes the escape's token text like any other.
_md.core.ruler.before("text_join", "mention_escape", _mark_escaped_at)

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Only the renderer makes a class (raw HTML is escaped), and only this one survives.
MENTION_CLASS = "mention"
ALLOWED_CLASSES = {"a": {MENTION_CLASS}}

MAX_MENTIONS = 10
# Django's usernames (UnicodeUsernameValidator, as the sign-up form checks them) are
# letters, digits and @ . + - _; the longest User.username holds is 150.
NAME_MAX = 150
_NAME_CHAR = r"[\w.@+-]"
# An @ that does not follow a name's character (a@b.org), nor a path's or a scheme's
# (https://host/@x), then a run of name characters.
MENTION = re.compile(rf"(?<![\w.@+\-/:])@({_NAME_CHAR}+)")
# "@ada." or "@ada-" ends a sentence or a clause: also try the name without them.
_TRAILING = ".@+-"


class Member(NamedTuple):
    pk: int
    username: str


# Names as written (each at most NAME_MAX characters) -> the members they name.
Members = Callable[[Sequence[str]], Mapping[str, Member]]


class Rendered(NamedTuple):
    html: str
    # The members the text mentions (linked), each once, in order of first mention.
    mentioned: tuple[Member, ...]


def render_markdown(text: str) -> str:
    """Safe HTML for untrusted Markdown (no mentions)."""
    return render(text).html


def render(text: str, members: Members | None = None) -> Rendered:
    """Safe HTML for untrusted Markdown, with the @mentions `members` knows linked."""
    env: dict[str, Any] = {}
    tokens = _md.parse(text, env)
    mentioned: tuple[Member, ...] = ()
    if members is not None:
        mentioned = _link_mentions(tokens, members)
    for block in tokens:
        for child in block.children or []:
            if _ESCAPED_AT in child.content:
                child.content = child.content.replace(_ESCAPED_AT, "@")
    html = _md.renderer.render(tokens, _md.options, env)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
    return Rendered(clean, mentioned)


def mention_href(username: str) -> str:
    return reverse("profile", args=[username])


def _texts_outside_links(tokens: list[Token]) -> list[tuple[list[Token], int]]:
    """(children, index) of each text token of inline content that is not a link's text;
    code spans and blocks are tokens of their own, never text."""
    found = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        depth = 0
        for index, child in enumerate(block.children):
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth = max(0, depth - 1)
            elif child.type == "text" and depth == 0 and "@" in child.content:
                found.append((block.children, index))
    return found


def _candidates(run: str) -> list[str]:
    """The names a run after @ may be: all of it, or without its trailing punctuation."""
    names = [run, run.rstrip(_TRAILING)]
    return [n for i, n in enumerate(names) if n and len(n) <= NAME_MAX and n not in names[:i]]


def _link_mentions(tokens: list[Token], members: Members) -> tuple[Member, ...]:
    texts = _texts_outside_links(tokens)
    # Each different run after an @, as written -> the names it may be (the lookup
    # ignores case; "@Ada" and "@ada" are two runs of the ten, one member).
    runs: dict[str, list[str]] = {}
    for children, index in texts:
        for match in MENTION.finditer(children[index].content):
            if match[1] not in runs and len(runs) < MAX_MENTIONS:
                runs[match[1]] = _candidates(match[1])
    names = sorted({name for candidates in runs.values() for name in candidates})
    if not names:
        return ()
    known = members(names)
    mentioned: dict[int, Member] = {}  # in order of first mention
    replacements = [
        (children, index, _split(children[index], runs, known, mentioned))
        for children, index in texts
    ]
    # From the last back, so the indexes of those before stay right.
    for children, index, replaced in reversed(replacements):
        if replaced is not None:
            children[index : index + 1] = replaced
    return tuple(mentioned.values())


def _match_member(
    run: str, runs: Mapping[str, list[str]], known: Mapping[str, Member]
) -> tuple[Member, str] | None:
    """The member a run after @ names and the part of the run that names them."""
    for name in runs.get(run, []):
        if name in known:
            return known[name], name
    return None


def _split(
    token: Token,
    runs: Mapping[str, list[str]],
    known: Mapping[str, Member],
    mentioned: dict[int, Member],
) -> list[Token] | None:
    content = token.content
    out: list[Token] = []
    start = 0
    for match in MENTION.finditer(content):
        hit = _match_member(match[1], runs, known)
        if hit is None:
            continue
        member, name = hit
        mentioned.setdefault(member.pk, member)
        at = match.start()
        if at > start:
            out.append(_text(content[start:at]))
        link = Token("link_open", "a", 1, attrs={"href": mention_href(member.username)})
        link.attrSet("class", MENTION_CLASS)
        out += [link, _text("@" + name), Token("link_close", "a", -1)]
        start = at + 1 + len(name)
    if not out:
        return None
    if start < len(content):
        out.append(_text(content[start:]))
    return out


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)
