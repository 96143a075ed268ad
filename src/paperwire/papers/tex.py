"""arXiv's TeX markup in a title or an abstract, made readable as plain text.

arXiv hands out titles and abstracts as their authors typed them: `91\\%`, `na\\"ive`,
`\\textbf{fast}`, `1.75$\\times$`. Pages, feeds and mails show `readable(text)`, and
search indexes and embeds the readable title and abstract (`search_text`); what is
stored, exported and served by the API stays the authors' text, as the Hub's API serves
it.

Only markup with one plain-text reading is changed: escaped specials, accents (to
Unicode, as arXiv's own pages show them), ``double quotes'' (to curly ones), text-style
commands (their argument kept), `\\ldots`, and math that is a single symbol (`$\\times$`
to ×). Other math (`\\( A \\)`, `$x^2$`) and unknown macros (`\\method`) are left as
they are: a reader can still read them, and a guess could change what a formula says.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
import xml.etree.ElementTree as ET  # builds markup only; never parses input
from collections.abc import Callable

from django.template.defaultfilters import truncatechars
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from latex2mathml import commands as latex2mathml_commands
from latex2mathml.converter import convert_to_element

# Combining marks of TeX's accent commands.
_MARKS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {"i": "i", "j": "j", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "l": "ł", "L": "Ł"}  # fmt: skip
# An accent on a letter, in each of its spellings: `{\"o}` (wrapped), `\"{o}` (braced),
# `\"o` or `\" o` (bare); the letter may be a macro (`\"{\i}`). Letter accents
# (`\c{c}`, `{\v s}`, `\v s`) need a brace or a space before their letter, so that
# `\cite` is not an accent.
_SYM = r"([\"'`^~=.])"
_LET = r"([cvuHkr])"
_ANY = r"(\\[a-zA-Z]+|[a-zA-Z])"
_ONE = r"(\\[ij](?![a-zA-Z])|[a-zA-Z])"
_ACCENTS = [
    re.compile(r"\{\\" + _SYM + r"\s*" + _ANY + r"\}"),
    re.compile(r"\{\\" + _SYM + r"\s*\{\s*" + _ANY + r"\s*\}\}"),
    re.compile(r"\\" + _SYM + r"\s*\{\s*" + _ANY + r"\s*\}"),
    re.compile(r"\\" + _SYM + r"\s*" + _ONE),
    re.compile(r"\{\\" + _LET + r"\s+" + _ANY + r"\}"),
    re.compile(r"\\" + _LET + r"\{\s*" + _ANY + r"\s*\}"),
    re.compile(r"\\" + _LET + r"\s+" + r"([a-zA-Z])(?![a-zA-Z])"),
]
# Letters of their own: `\ss`, `{\o}`, `\ae{}`; TeX swallows the space after a control
# word, so "\AA sen" is "Åsen".
_SPECIAL_LETTER = re.compile(
    r"\{\\(ss|o|O|ae|AE|oe|OE|aa|AA|l|L)\}"
    r"|\\(ss|o|O|ae|AE|oe|OE|aa|AA|l|L)(?![a-zA-Z])(?:\{\}| (?=[a-zA-Z]))?"
)
_ESCAPED = re.compile(r"\\([%&#_$])")
_TEXT_STYLE = re.compile(
    r"\\(?:textbf|textit|textsl|textsc|texttt|textrm|textsf|textmd|textup|emph|underline)"
    r"\{([^{}]*)\}"
)
_SYMBOLS = {
    "times": "×", "sim": "~", "approx": "≈", "pm": "±", "mp": "∓", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "ll": "≪", "gg": "≫",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "uparrow": "↑", "downarrow": "↓",
    "cdot": "·", "infty": "∞", "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ",
    "epsilon": "ε", "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ",
    "tau": "τ", "phi": "φ", "Delta": "Δ", "checkmark": "✓", "degree": "°",
}  # fmt: skip
# `$\times$`, `\(\times\)`, `$\sim$`: math that is one symbol and nothing else.
_ONE_SYMBOL_MATH = re.compile(
    r"(?:\$|\\\()\s*\\(" + "|".join(sorted(_SYMBOLS, key=len, reverse=True)) + r")\s*(?:\$|\\\))"
)
# TeX's double quotes, ``like this'', as the curly quotes they print; only in pairs, so
# a prime in math (f'') is left alone.
_TEX_QUOTES = re.compile(r"``((?:[^`'$\n]|'(?!'))*?)''")
_DOTS = re.compile(r"\\(?:ldots|dots|textellipsis)(?:\{\}|(?![a-zA-Z]))")


def _accent(m: re.Match[str]) -> str:
    letter = m.group(2)
    base = _LETTERS.get(letter[1:], "") if letter.startswith("\\") else letter
    if len(base) != 1:
        return m.group(0)
    return unicodedata.normalize("NFC", base + _MARKS[m.group(1)])


def accents_to_letters(text: str) -> str:
    """TeX's accents and special letters as Unicode: `Bal\\'azs` -> Balázs,
    `{\\o}ksendal` -> øksendal, `na\\"{\\i}ve` -> naïve."""
    if "\\" not in text:
        return text
    for accent in _ACCENTS:
        text = accent.sub(_accent, text)
    return _SPECIAL_LETTER.sub(lambda m: _LETTERS[m.group(1) or m.group(2)], text)


def readable(text: str) -> str:
    """`text` with the TeX markup that has one plain reading written out."""
    if text and "``" in text:
        text = _TEX_QUOTES.sub("\u201c\\1\u201d", text)
    if not text or "\\" not in text:
        return text
    text = accents_to_letters(text)
    text = _ONE_SYMBOL_MATH.sub(lambda m: _SYMBOLS[m.group(1)], text)
    text = _DOTS.sub("…", text)
    for _ in range(3):  # nested styles: \textbf{\emph{x}}
        text, n = _TEXT_STYLE.subn(r"\1", text)
        if not n:
            break
    return _ESCAPED.sub(r"\1", text)


def search_text(text: str) -> str | None:
    """What search indexes and embeds of a title or abstract: `readable(text)`, so that
    "naive" finds `na\\"ive`; None when that is the text itself (most papers), which is
    what Paper.search_title / search_abstract then store."""
    plain = readable(text)
    return None if plain == text else plain


# ---------------------------------------------------------------------------------------
# Math as MathML, for HTML pages.
#
# `abstract_html()` is what paper pages and feed cards show of an abstract, and of a
# title in their headings: the text parts made readable as above, and each formula
# (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`) drawn as MathML, which browsers lay out natively
# (no script, no web font). latex2mathml's tree is rebuilt from an allowlist of MathML
# elements and attributes, so nothing an author typed (`\href`, `\style`,
# `\text{<img …>}`) reaches the page as markup; a formula it cannot read, or one too
# long or too deep, stays as its TeX.

_MATH = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"
    r"|\\\[(?P<db>.+?)\\\]"
    r"|\\\((?P<ip>.+?)\\\)"
    # Pandoc's rule for `$`: no space just inside either dollar, and no digit just after
    # the closing one, so "$5 and $10" stays text.
    r"|(?<![\\$])\$(?=[^\s$])(?P<id>(?:[^$\\\n]|\\.)+?)(?<=[^\s\\])\$(?!\d)",
    re.DOTALL,
)
_MAX_FORMULA = 400  # characters of TeX
_MAX_DEPTH = 12  # nested braces
_WIDE_FORMULA = 40  # characters of TeX past which a formula may not fit a phone
_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mover munder "
    "munderover mtable mtr mtd mstyle menclose mpadded mphantom merror".split()
)
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator form lspace rspace accent accentunder "
    "linethickness columnalign columnspacing rowspacing columnlines rowlines frame width "
    "height depth minsize maxsize movablelimits notation displaystyle scriptlevel "
    "mathsize symmetric largeop".split()
)
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _depth(tex: str) -> int:
    depth = deepest = 0
    for char in tex:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
    return deepest


def _clean(element: ET.Element) -> ET.Element:
    """A copy of latex2mathml's `element` with only allowlisted elements and attributes;
    its text (which latex2mathml keeps as character references) as plain characters."""
    tag = element.tag if element.tag in _MATHML_ELEMENTS else "mrow"
    attributes = {k: v for k, v in element.attrib.items() if k in _MATHML_ATTRIBUTES}
    if tag == "math":
        attributes["xmlns"] = _MATHML_NS
    copy = ET.Element(tag, attributes)
    copy.text = html.unescape(element.text) if element.text else None
    for child in element:
        cleaned = _clean(child)
        cleaned.tail = html.unescape(child.tail) if child.tail else None
        copy.append(cleaned)
    return copy


# latex2mathml draws `\\log n` as <mi>log</mi><mi>n</mi>, which browsers set as "logn":
# TeX puts a thin space on each side of such an operator name (none before an opening
# bracket or after an operator), and MathML marks the name as applied to what follows.
_FUNCTION_NAMES = frozenset(name.lstrip("\\") for name in latex2mathml_commands.FUNCTIONS)
_SCRIPTED = {"msub", "msup", "msubsup"}
# Elements whose children are a row; the others (msub, mfrac, …) have a fixed number.
_ROWS = {"math", "mrow", "mstyle", "mtd", "msqrt", "mpadded", "mphantom", "menclose", "merror"}
_OPENING = set("([{|\u2016\u27e8\u230a\u2308")
_CLOSING = set(")]}|\u2016\u27e9\u230b\u2309")


def _is_function(element: ET.Element) -> bool:
    if element.tag in _SCRIPTED and len(element):
        element = element[0]
    return element.tag == "mi" and (element.text or "") in _FUNCTION_NAMES


def _thin_space() -> ET.Element:
    return ET.Element("mspace", {"width": "0.1667em"})


def _space_functions(element: ET.Element) -> None:
    for child in element:
        _space_functions(child)
    children = list(element)
    if element.tag not in _ROWS or not any(_is_function(child) for child in children):
        return
    spaced: list[ET.Element] = []
    for i, child in enumerate(children):
        if not _is_function(child):
            spaced.append(child)
            continue
        before = children[i - 1] if i else None
        after = children[i + 1] if i + 1 < len(children) else None
        if before is not None and (before.tag != "mo" or (before.text or "") in _CLOSING):
            spaced.append(_thin_space())
        spaced.append(child)
        apply = ET.Element("mo")
        apply.text = "\u2061"  # FUNCTION APPLICATION, invisible
        spaced.append(apply)
        if after is not None and after.tag != "mo" and not _is_function(after):
            spaced.append(_thin_space())
        elif after is not None and after.tag == "mo" and (after.text or "") not in _OPENING:
            spaced.append(_thin_space())
    for child in children:
        element.remove(child)
    element.extend(spaced)


@functools.lru_cache(maxsize=4096)  # the same formulas come back on every page view
def formula_mathml(tex: str, *, display: bool = False) -> str | None:
    """`tex` (without its delimiters) as a MathML element, or None when it cannot be
    drawn faithfully: too long, too deeply nested, or not read by latex2mathml."""
    if len(tex) > _MAX_FORMULA or _depth(tex) > _MAX_DEPTH or not tex.strip():
        return None
    try:
        tree = convert_to_element(tex.strip(), display="block" if display else "inline")
    except Exception:  # any failure of the converter: show the TeX instead
        return None
    cleaned = _clean(tree)
    _space_functions(cleaned)
    return ET.tostring(cleaned, encoding="unicode", short_empty_elements=False)


def _formula_html(tex: str, original: str, *, display: bool) -> str:
    mathml = formula_mathml(tex, display=display)
    if mathml is None:
        return escape(original)
    if display or len(tex) > _WIDE_FORMULA:
        # MathML does not break lines: a wide formula scrolls in its own box rather
        # than widening the page on a phone.
        kind = "tex-math tex-math-block" if display else "tex-math"
        return f'<span class="{kind}">{mathml}</span>'
    return mathml


def has_formula(text: str) -> bool:
    """Whether `text` may hold a formula ($…$, \\(…\\), \\[…\\]): most abstracts do not."""
    return "$" in text or "\\(" in text or "\\[" in text


def _tex_of(found: re.Match[str]) -> str:
    """The TeX of a formula `_MATH` found, without its delimiters."""
    return next(g for g in found.groups() if g is not None)


def formula_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each formula in `text`, delimiters included: where a cut of the
    text (a search snippet) must not fall."""
    if not has_formula(text):
        return []
    return [found.span() for found in _MATH.finditer(text)]


def _escaped_readable(text: str) -> str:
    return escape(readable(text))


def abstract_html(text: str, text_html: Callable[[str], str] = _escaped_readable) -> SafeString:
    """`text` as HTML: readable text with every formula drawn as MathML. `text_html`
    turns the text between formulas into HTML (search marks the query's words with it);
    it must escape what it is given."""
    if not has_formula(text):
        return mark_safe(text_html(text))  # noqa: S308 - no formula: most abstracts
    text = _ONE_SYMBOL_MATH.sub(lambda m: _SYMBOLS[m.group(1)], text)
    parts: list[str] = []
    end = 0
    for found in _MATH.finditer(text):
        tex = _tex_of(found)
        display = found.group("dd") is not None or found.group("db") is not None
        parts.append(text_html(text[end : found.start()]))
        parts.append(_formula_html(tex, found.group(0), display=display))
        end = found.end()
    parts.append(text_html(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 - escaped text and rebuilt MathML only


def abstract_preview_html(text: str, length: int) -> SafeString:
    """About the first `length` characters of `abstract_html(text)` and an ellipsis: what
    a feed card shows of a long abstract before it is opened, formulas drawn inline. The
    cut falls in the text between formulas, never inside one (half a formula is neither
    TeX nor math); a formula counts as long as its TeX, as the card's choice to fold an
    abstract counts it."""
    if not has_formula(text):
        plain = readable(text)
        if len(plain) <= length:
            return escape(plain)
        # truncatechars loops over every character; ASCII (most abstracts) can be sliced
        short = plain[: length - 1] + "…" if plain.isascii() else truncatechars(plain, length)
        return escape(short)
    text = _ONE_SYMBOL_MATH.sub(lambda m: _SYMBOLS[m.group(1)], text)
    parts: list[str] = []
    room = length - 1  # the ellipsis takes one
    end = 0
    for found in [*_MATH.finditer(text), None]:
        before = readable(text[end : found.start() if found else len(text)])
        if len(before) > room:
            parts.append(escape(before[:room].rstrip()) + "…")
            break
        parts.append(escape(before))
        room -= len(before)
        if found is None:
            break
        tex = _tex_of(found)
        if len(found.group(0)) > room:
            parts.append(parts.pop().rstrip() + "…")
            break
        parts.append(_formula_html(tex, found.group(0), display=False))
        room -= len(found.group(0))
        end = found.end()
    return mark_safe("".join(parts))  # noqa: S308 - escaped text and rebuilt MathML only
