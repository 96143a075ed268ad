"""Control characters: removed from text where it enters (imports, ingest, forms, query
strings), and again where text leaves as XML (feeds), for rows stored before that.

XML 1.0 cannot carry C0 controls other than tab, newline and carriage return (Django's
feed writer raises UnserializableContentError on them), PostgreSQL text cannot hold NUL,
mail headers must not break lines, and none of them is anything a reader can see. Tab,
newline and carriage return stay: they are legal text (abstracts have paragraphs).
"""

from __future__ import annotations

import re

# Controls that are also whitespace (vertical tab, form feed, the C0 separators, NEL)
# become a space, so that "title\vwith a tab" does not become "titlewith a tab".
_SPACE_LIKE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
# Every other C0 control but \t \n \r, DEL, the C1 controls, lone surrogates (a JSON
# "\ud800" makes one; no encoder takes it) and the noncharacters XML forbids.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_control_chars(text: str) -> str:
    """`text` without control characters (tab, newline and carriage return kept)."""
    if text.isprintable():  # the common case, checked in C: nothing to do
        return text
    return _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", text))


def has_control_chars(text: str) -> bool:
    return strip_control_chars(text) != text
