"""The SQLite FTS5 index of papers, and the triggers that keep it in sync.

The papers app never calls search: every write to papers_paper or
papers_paperauthor, whichever code path makes it (upsert, admin, bulk
import, raw SQL), updates the index in the same transaction.

The index holds a paper's search text (papers_paper.search_title / search_abstract: its
title and abstract with their TeX markup read, `na\\"ive` as "naïve"; papers/tex.py)
where it has one, else the stored title and abstract. The papers app's writers set
the search text with the text (Paper.save, the ingest); SQL cannot compute it.
"""

# Every statement here is built from constants of this module, never from input.
# ruff: noqa: S608

from __future__ import annotations

FTS_TABLE = "search_paper_fts"
# Non-empty only inside a bulk writer's transaction (backends/sqlite/): the insert
# triggers then leave the new rows to that writer.
SUSPEND_TABLE = "search_fts_suspend"

# Column order is the bm25() weight order: title, abstract, authors.
CREATE = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title, abstract, authors,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    f"CREATE TABLE IF NOT EXISTS {SUSPEND_TABLE} (id INTEGER PRIMARY KEY)",
]

_FOLLOWING = f"WHEN NOT EXISTS (SELECT 1 FROM {SUSPEND_TABLE})"

_AUTHORS_OF = (
    "(SELECT coalesce(group_concat(name, ', '), '') FROM "
    "(SELECT a.name AS name FROM papers_paperauthor pa JOIN papers_author a "
    "ON a.id = pa.author_id WHERE pa.paper_id = {pid} ORDER BY pa.position))"
)

# The triggers that do not read a paper's title or abstract.
_OTHER_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_paper_ad AFTER DELETE ON papers_paper BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_author_ai
        AFTER INSERT ON papers_paperauthor {_FOLLOWING} BEGIN
        UPDATE {FTS_TABLE} SET authors = {_AUTHORS_OF.format(pid="new.paper_id")}
        WHERE rowid = new.paper_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_author_ad
        AFTER DELETE ON papers_paperauthor BEGIN
        UPDATE {FTS_TABLE} SET authors = {_AUTHORS_OF.format(pid="old.paper_id")}
        WHERE rowid = old.paper_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_authorname_au
        AFTER UPDATE OF name ON papers_author BEGIN
        UPDATE {FTS_TABLE} SET authors = {_AUTHORS_OF.format(pid=FTS_TABLE + ".rowid")}
        WHERE rowid IN (SELECT paper_id FROM papers_paperauthor WHERE author_id = new.id);
    END""",
]


def _text(row: str, column: str, search_text: bool) -> str:
    """A paper's title or abstract as the index holds it: its search text (the readable
    text, papers.Paper.search_title / search_abstract) where it has one."""
    if not search_text:
        return f"{row}.{column}"
    return f"coalesce({row}.search_{column}, {row}.{column})"


def triggers(search_text: bool = True) -> list[str]:
    """The sync triggers; `search_text=False` gives them as they were before papers had
    search text columns (papers 0005), for the migrations that ran before them."""
    title, abstract = _text("new", "title", search_text), _text("new", "abstract", search_text)
    watched = "title, abstract, search_title, search_abstract" if search_text else "title, abstract"
    return [
        f"""CREATE TRIGGER IF NOT EXISTS search_fts_paper_ai AFTER INSERT ON papers_paper
        {_FOLLOWING} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors)
        VALUES (new.id, {title}, {abstract}, {_AUTHORS_OF.format(pid="new.id")});
    END""",
        f"""CREATE TRIGGER IF NOT EXISTS search_fts_paper_au
        AFTER UPDATE OF {watched} ON papers_paper BEGIN
        UPDATE {FTS_TABLE} SET title = {title}, abstract = {abstract}
        WHERE rowid = new.id;
    END""",
        *_OTHER_TRIGGERS,
    ]


TRIGGERS = triggers()


def rebuild(search_text: bool = True) -> list[str]:
    """Fills the index from scratch: the migration on existing data, and `reindex`."""
    title, abstract = _text("p", "title", search_text), _text("p", "abstract", search_text)
    return [
        f"DELETE FROM {FTS_TABLE}",
        f"""INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors)
        SELECT p.id, {title}, {abstract}, {_AUTHORS_OF.format(pid="p.id")}
        FROM papers_paper p""",
    ]


REBUILD = rebuild()

# After papers got their search text (papers 0005, search 0007): the rows of the papers
# that have one are rewritten, the rest of the index is already what it should be.
REFRESH_SEARCH_TEXT = f"""UPDATE {FTS_TABLE} SET
    title = (SELECT coalesce(p.search_title, p.title) FROM papers_paper p
             WHERE p.id = {FTS_TABLE}.rowid),
    abstract = (SELECT coalesce(p.search_abstract, p.abstract) FROM papers_paper p
                WHERE p.id = {FTS_TABLE}.rowid)
    WHERE rowid IN (SELECT id FROM papers_paper
                    WHERE search_title IS NOT NULL OR search_abstract IS NOT NULL)"""

TRIGGER_NAMES = (
    "search_fts_paper_ai",
    "search_fts_paper_au",
    "search_fts_paper_ad",
    "search_fts_author_ai",
    "search_fts_author_ad",
    "search_fts_authorname_au",
)

DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGER_NAMES),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    f"DROP TABLE IF EXISTS {SUSPEND_TABLE}",
]
