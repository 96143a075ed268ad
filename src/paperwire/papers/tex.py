"""arXiv's TeX markup in an abstract, made readable as plain text.

arXiv hands out abstracts as their authors typed them: `91\\%`, `na\\"ive`,
`\\textbf{fast}`, `1.75$\\times$`. Pages, feeds and mails show `readable(abstract)`;
what is stored, indexed, exported and served by the API stays the authors' text, as
the Hub's API serves it.

Only markup with one plain-text reading is changed: escaped specials, accents (to
Unicode, as arXiv's own pages show them), text-style commands (their argument kept),
`\\ldots`, and math that is a single symbol (`$\\times$` to ×). Other math (`\\( A
\\)`, `$x^2$`) and unknown macros (`\\method`) are left as they are: a reader can still
read them, and a guess could change what a formula says.
"""

from __future__ import annotations

import re
import unicodedata

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
