"""The search query language: free words, "phrases", -exclusions and field filters.

`parse_query` never fails: anything it does not understand is kept as plain
text or reported in `ParsedQuery.notes`, so a search box can take any input.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from paperwire.papers.tex import readable

# A 10 kB query is answered, but only its beginning is read.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
# Each author:/cat:/org: filter is a join or a subquery: SQLite allows 64 tables in
# a join, so a query stops taking them well before that.
MAX_FILTERS = 8

SORTS = ("relevance", "date", "upvotes")
SORT_ALIASES = {
    "relevance": "relevance",
    "rel": "relevance",
    "date": "date",
    "new": "date",
    "newest": "date",
    "recent": "date",
    "upvotes": "upvotes",
    "votes": "upvotes",
    "top": "upvotes",
}
FILTER_KEYS = ("author", "cat", "org", "year", "after", "before", "sort")
KEY_ALIASES = {"category": "cat", "organization": "org", "by": "author"}

# Words too common to rank by in OR-queries; they stay in phrases and in the dense query.
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have how in into is it its of on or our
    that the their this to was we what when which with via using use based towards toward
    paper papers about""".split()
)

_TOKEN = re.compile(
    r"""
    (?P<neg>-)?
    (?:
        (?P<key>[A-Za-z]+):(?:"(?P<kq>[^"]*)"?|(?P<kv>\S+))   # key:value or key:"quoted"
      | "(?P<phrase>[^"]*)"?                                  # "phrase" (closing quote optional)
      | (?P<word>\S+)
    )
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"\w+(?:[.'+#-]\w+)*\+*", re.UNICODE)


@dataclass
class ParsedQuery:
    raw: str = ""
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    cats: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    year: int | None = None
    after: dt.date | None = None
    before: dt.date | None = None
    sort: str = "relevance"
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The free text (words and phrases) as a user would read it: the dense query."""
        return " ".join([*self.terms, *self.phrases]).strip()

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.authors or self.cats or self.orgs or self.year or self.after or self.before
        )

    def chips(self) -> list[tuple[str, str]]:
        """(label, the query without this part): the removable chips of the UI."""
        parts = self.parts()
        chips = []
        for i, (label, _) in enumerate(parts):
            if label is None:
                continue
            rest = " ".join(p for j, (_, p) in enumerate(parts) if j != i)
            chips.append((label, rest))
        return chips

    def parts(self) -> list[tuple[str | None, str]]:
        """Each piece of the query in canonical syntax, with a chip label for filters."""
        out: list[tuple[str | None, str]] = []
        out += [(None, t) for t in self.terms]
        out += [(None, f'"{p}"') for p in self.phrases]
        out += [(f"not {w}", f"-{_quote(w)}") for w in self.excluded]
        out += [(f"author: {a}", f"author:{_quote(a)}") for a in self.authors]
        out += [(f"category: {c}", f"cat:{_quote(c)}") for c in self.cats]
        out += [(f"org: {o}", f"org:{_quote(o)}") for o in self.orgs]
        if self.year:
            out.append((f"year: {self.year}", f"year:{self.year}"))
        if self.after:
            out.append((f"after {self.after.isoformat()}", f"after:{self.after.isoformat()}"))
        if self.before:
            out.append((f"before {self.before.isoformat()}", f"before:{self.before.isoformat()}"))
        if self.sort != "relevance":
            out.append((f"sorted by {self.sort}", f"sort:{self.sort}"))
        return out

    def canonical(self) -> str:
        return " ".join(p for _, p in self.parts())


def _quote(value: str) -> str:
    return f'"{value}"' if re.search(r"\s", value) else value


def words(text: str) -> list[str]:
    """The indexable words of a text: letters and digits, keeping 'gpt-4', 'c++', 'v1.5'."""
    return _WORD.findall(text)


def _parse_date(value: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_query(raw: str | None, sort: str | None = None) -> ParsedQuery:
    """Split a query into text and filters. Unknown `key:` prefixes stay as plain text."""
    raw = (raw or "").replace("\x00", " ")
    q = ParsedQuery(raw=raw)
    if len(raw) > MAX_QUERY_CHARS:
        q.notes.append(f"Only the first {MAX_QUERY_CHARS} characters of the query were used.")
        raw = raw[:MAX_QUERY_CHARS]
    # TeX markup as the index reads papers (papers/tex.py): `Schr\"odinger` is the word
    # Schrödinger (the quote is not a phrase's). Text without a backslash is as it was.
    raw = readable(raw)
    for m in _TOKEN.finditer(raw):
        neg = bool(m.group("neg"))
        key = m.group("key")
        if key is not None:
            value = (m.group("kq") if m.group("kq") is not None else m.group("kv") or "").strip()
            name = KEY_ALIASES.get(key.lower(), key.lower())
            if name in FILTER_KEYS and value:
                _apply_filter(q, name, value, neg)
                continue
            # Not a filter we know (or an empty one): the whole token is plain text.
            text = m.group(0).lstrip("-")
            (q.excluded if neg else q.terms).extend(words(text))
            continue
        phrase = m.group("phrase")
        if phrase is not None:
            ws = words(phrase)
            if not ws:
                continue
            if neg:
                q.excluded.append(" ".join(ws))
            elif len(ws) == 1:
                q.terms.append(ws[0])
            else:
                q.phrases.append(" ".join(ws))
            continue
        ws = words(m.group("word") or "")
        if neg and ws:
            q.excluded.extend(ws)
        else:
            q.terms.extend(ws)
    if len(q.terms) > MAX_TERMS:
        q.notes.append(f"Only the first {MAX_TERMS} words of the query were used.")
        q.terms = q.terms[:MAX_TERMS]
    q.phrases = q.phrases[:8]
    q.excluded = q.excluded[:16]
    _cap_filters(q)
    if raw.strip() and not (q.terms or q.phrases or q.excluded or q.has_filters):
        q.notes.append(
            "Nothing in this query can be searched for: it has no words, numbers or "
            "filters (symbols and emoji are ignored)."
        )
    if sort:
        chosen = SORT_ALIASES.get(sort.lower())
        if chosen:
            q.sort = chosen
        else:
            q.notes.append(f"Unknown sort {sort[:40]!r}: sorted by relevance.")
    return q


def _cap_filters(q: ParsedQuery) -> None:
    given = len(q.authors) + len(q.cats) + len(q.orgs)
    if given <= MAX_FILTERS:
        return
    room = MAX_FILTERS
    for name in ("authors", "cats", "orgs"):
        kept = getattr(q, name)[:room]
        setattr(q, name, kept)
        room -= len(kept)
    q.notes.append(
        f"Only the first {MAX_FILTERS} author:, cat: and org: filters were used "
        f"({given} were given)."
    )


def _apply_filter(q: ParsedQuery, name: str, value: str, neg: bool) -> None:
    if neg:
        q.notes.append(f"-{name}: is not supported; the filter was ignored.")
        return
    if name == "author":
        q.authors.append(value[:200])
    elif name == "cat":
        q.cats.append(value[:40])
    elif name == "org":
        q.orgs.append(value[:100])
    elif name == "year":
        if value.isdigit() and 1900 <= int(value) <= 2200:
            q.year = int(value)
        else:
            q.notes.append(f"year:{value[:20]} is not a year like 2024; the filter was ignored.")
    elif name in ("after", "before"):
        day = _parse_date(value)
        if day is None:
            q.notes.append(
                f"{name}:{value[:20]} is not a date like 2024-06-01; the filter was ignored."
            )
        else:
            setattr(q, name, day)
    elif name == "sort":
        chosen = SORT_ALIASES.get(value.lower())
        if chosen:
            q.sort = chosen
        else:
            q.notes.append(
                f"sort:{value[:20]} is unknown (use relevance, date or upvotes); "
                "sorted by relevance."
            )


def fts_match(q: ParsedQuery, mode: str = "or") -> str | None:
    """An FTS5 MATCH expression built only from quoted strings, so no input is an operator.

    `mode="or"` ranks papers matching any word (BM25 rewards matching more); phrases
    are required and exclusions removed either way. None when there is no text.
    """
    terms = [t for t in q.terms if t.lower() not in STOPWORDS] or q.terms
    required = [_fts_string(p) for p in q.phrases]
    optional = [_fts_string(t) for t in dict.fromkeys(t.lower() for t in terms)]
    if mode == "and":
        required += optional
        optional = []
    if not required and not optional:
        return None
    expr = " AND ".join(required)
    if optional:
        ors = "(" + " OR ".join(optional) + ")"
        expr = f"{expr} AND {ors}" if expr else ors
    for ex in q.excluded:
        expr += f" NOT {_fts_string(ex)}"
    return expr


def _fts_string(text: str) -> str:
    # Inside an FTS5 string only the double quote is special; doubling it escapes it.
    return '"' + text.replace('"', '""') + '"'
