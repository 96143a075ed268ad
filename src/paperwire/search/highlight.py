"""Marking query words in titles and abstract snippets, HTML-safely.

Words match without their diacritics, as the keyword index matches them (search/fold.py):
"naive" marks "naïve" and "Schrödinger" marks "Schrodinger".
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from paperwire.papers.tex import abstract_html, formula_spans, readable
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


def highlight_with_formulas(text: str, q: ParsedQuery) -> SafeString:
    """The text made readable, the query's words marked and its formulas drawn, as the
    paper page draws them (from the authors' TeX: `$50\\%$` is "50%")."""
    return abstract_html(text, lambda part: highlight(readable(part), q))


def snippet(text: str, q: ParsedQuery, width: int = 300) -> SafeString:
    """About `width` characters of the authors' text around its first marked word,
    readable; a formula is drawn whole or left out, never cut."""
    pat = _pattern(q)
    text = _composed(text)
    if len(text) <= width:
        return highlight_with_formulas(text, q)
    start = 0
    # A word may be found only once its TeX is read (`na\\"ive` for "naive"): the readable
    # text is a little shorter, so its offset falls just before the word in the TeX.
    found = None if pat is None else pat.search(fold_letters(text))
    if found is None and pat is not None and "\\" in text:
        found = pat.search(fold_letters(_composed(readable(text))))
    if found is not None:
        start = max(0, found.start() - width // 3)
        # Start on a word boundary.
        space = text.find(" ", start)
        start = space + 1 if 0 < start and 0 <= space < found.start() else start
    end = min(len(text), start + width)
    more = end < len(text)
    if more:
        space = text.rfind(" ", start, end)
        end = space if space != -1 else end
    for a, b in formula_spans(text):
        if a < start < b:
            start = a
        if a < end < b:
            end = a
    prefix = "… " if start > 0 else ""
    suffix = " …" if more else ""
    cut = highlight_with_formulas(text[start:end].rstrip(), q)
    return mark_safe(prefix + cut + suffix)  # noqa: S308 - escaped by highlight
