"""Latin letters without their diacritics, as SQLite's FTS5 tokenizer reads them.

FTS5's `unicode61 remove_diacritics 2` finds "Schrödinger" for "schrodinger" and the
other way round. PostgreSQL's `english` configuration keeps the marks, and its
`unaccent` extension is not on every server, so its documents and queries are folded
with this table instead: in SQL by `translate()` (pg_sql.py, `search_fold`), in Python by
`fold`, the same mapping. Highlighting (highlight.py) marks "naïve" for "naive" with it.

A letter is folded when it decomposes into an ASCII letter and combining marks only
(é, ö, ő, ṩ); letters of their own (ø, ł, ß, æ) stay, as FTS5 keeps them. Combining
marks (text written decomposed) are dropped.
"""

from __future__ import annotations

import unicodedata
from itertools import chain


def _letters() -> dict[str, str]:
    folded = {}
    # Latin-1 Supplement and Latin Extended-A/B; Latin Extended Additional.
    for cp in chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        letter = chr(cp)
        parts = unicodedata.normalize("NFD", letter)
        base, marks = parts[0], parts[1:]
        if marks and base.isascii() and base.isalpha():
            if all(unicodedata.combining(m) for m in marks):
                folded[letter] = base
    return folded


LETTERS = _letters()
# The combining diacritical marks block.
MARKS = "".join(chr(cp) for cp in range(0x300, 0x370))

_FOLD = str.maketrans({**LETTERS, **dict.fromkeys(MARKS)})
# Letter for letter (marks kept), so positions in the folded text are the text's own.
_FOLD_LETTERS = str.maketrans(LETTERS)

# translate(text, SQL_FROM, SQL_TO): PostgreSQL drops the characters of SQL_FROM past
# the length of SQL_TO, i.e. the marks.
SQL_FROM = "".join(LETTERS) + MARKS
SQL_TO = "".join(LETTERS.values())


def fold(text: str) -> str:
    """`text` with the diacritics of its Latin letters removed: "Erdős" -> "Erdos"."""
    return text if text.isascii() else text.translate(_FOLD)


def fold_letters(text: str) -> str:
    """As `fold`, keeping the length: precomposed letters folded, marks left in place."""
    return text if text.isascii() else text.translate(_FOLD_LETTERS)
