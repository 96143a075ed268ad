"""The SQLite FTS5 index of papers, and the triggers that keep it in sync.

The papers app never calls search: every write to papers_paper or
papers_paperauthor, whichever code path makes it (upsert, admin, bulk
import, raw SQL), updates the index in the same transaction.
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

TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_paper_ai AFTER INSERT ON papers_paper
        {_FOLLOWING} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors)
        VALUES (new.id, new.title, new.abstract, {_AUTHORS_OF.format(pid="new.id")});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_fts_paper_au
        AFTER UPDATE OF title, abstract ON papers_paper BEGIN
        UPDATE {FTS_TABLE} SET title = new.title, abstract = new.abstract
        WHERE rowid = new.id;
    END""",
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

# Fills the index from scratch: the migration on existing data, and `reindex`.
REBUILD = [
    f"DELETE FROM {FTS_TABLE}",
    f"""INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors)
        SELECT p.id, p.title, p.abstract, {_AUTHORS_OF.format(pid="p.id")}
        FROM papers_paper p""",
]

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
