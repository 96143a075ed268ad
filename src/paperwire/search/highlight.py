"""Marking query words in titles and abstract snippets, HTML-safely.

Words match without their diacritics, as the keyword index matches them (search/fold.py):
"naive" marks "naïve" and "Schrödinger" marks "Schrodinger".
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from paperwire.search.fold import fold, fold_letters
from paperwire.search.query import STOPWORDS, ParsedQuery

_SUFFIX = re.compile(r"(?:ing|ed|es|s)$", re.IGNORECASE)


def _pattern(q: ParsedQuery) -> re.Pattern[str] | None:
    pieces = [fold(t) for t in q.terms if t.lower() not in STOPWORDS and len(t) > 1]
    pieces += [fold(p) for p in q.phrases]
    if not pieces:
        return None
    alts = []
    for p in sorted(set(pieces), key=len, reverse=True)[:40]:
        words = p.split()
        # The last word without its inflection, then any ending: "reasoning" marks
        # "reasons", as the stemmer matched them (but "models" never marks "modern").
        last = _SUFFIX.sub("", words[-1]) if len(words[-1]) > 4 else words[-1]
        alts.append(r"\s+".join([*map(re.escape, words[:-1]), re.escape(last)]) + r"\w*")
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + ")", re.IGNORECASE)


def _composed(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def highlight(text: str, q: ParsedQuery) -> SafeString:
    pat = _pattern(q)
    if pat is None:
        return escape(text)
    text = _composed(text)
    out: list[str] = []
    last = 0
    # Found in the folded text, which has the text's length: the marks are the text's own.
    for m in pat.finditer(fold_letters(text)):
        out.append(escape(text[last : m.start()]))
        out.append(f"<mark>{escape(text[m.start() : m.end()])}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def snippet(text: str, q: ParsedQuery, width: int = 300) -> SafeString:
    """About `width` characters of the text around its first marked word."""
    pat = _pattern(q)
    text = _composed(text)
    if len(text) <= width:
        return highlight(text, q)
    start = 0
    if pat is not None and (m := pat.search(fold_letters(text))):
        start = max(0, m.start() - width // 3)
        # Start on a word boundary.
        space = text.find(" ", start)
        start = space + 1 if 0 < start and 0 <= space < m.start() else start
    end = min(len(text), start + width)
    cut = text[start:end]
    if end < len(text):
        cut = cut.rsplit(" ", 1)[0]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + highlight(cut, q) + suffix)  # noqa: S308 - highlight escapes
