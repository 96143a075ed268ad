"""The PostgreSQL search schema: a weighted tsvector per paper and pgvector embeddings.

As with SQLite's FTS5 table (fts_sql.py), triggers keep everything current in
the same transaction as the write, whichever code path makes it: the papers
app never calls search.

- `search_paper_doc(paper_id, document)`: title (weight A), abstract (B) and
  author names (C) as one `tsvector`, with a GIN index. The title and abstract are
  the paper's search text where it has one (papers_paper.search_title /
  search_abstract: the TeX markup read, papers/tex.py); diacritics are folded
  (`search_fold`, search/fold.py) in documents and queries alike.
- `search_papervector.embedding vector(384)`: the `vector` bytes that
  `PaperVector` stores on every backend, as a pgvector value, with an HNSW
  index (cosine distance). This app's writers send it with the bytes; a
  trigger decodes the bytes for rows written without it. The vectors and their
  index live in the database, so every web and worker process searches the same,
  current index.
"""

# Every statement here is built from constants of this module, never from input.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from paperwire.search.embeddings import DIM
from paperwire.search.fold import SQL_FROM, SQL_TO

DOC_TABLE = "search_paper_doc"
VECTOR_TABLE = "search_papervector"
HNSW_INDEX = "search_papervector_embedding_hnsw"
# The text search configuration of documents and queries (stemming, stop words).
TS_CONFIG = "english"
PGVECTOR_MIN = (0, 5)  # HNSW indexes arrived in pgvector 0.5.0

MISSING_PGVECTOR = (
    "the pgvector extension is not installed on this server; install pgvector ≥ 0.5 "
    "(e.g. the postgresql-NN-pgvector package of your distribution, or build it from "
    "source) and run `paperwire migrate` again"
)


class PgvectorUnavailable(CommandError):
    """PostgreSQL without a usable pgvector: search cannot be set up.

    A CommandError, so `paperwire migrate` prints the message alone, without a traceback.
    """


def ensure_pgvector(cursor: Any, extension: str = "vector") -> str:
    """Create the extension if needed; its installed version, or a clear error."""
    cursor.execute(
        "SELECT default_version, installed_version FROM pg_available_extensions WHERE name = %s",
        [extension],
    )
    row = cursor.fetchone()
    if row is None:
        raise PgvectorUnavailable(MISSING_PGVECTOR)
    if row[1] is None:
        try:
            # The name is a constant of this module or of a test, never input.
            cursor.execute(f'CREATE EXTENSION IF NOT EXISTS "{extension}"')
        except Exception as exc:
            # PostgreSQL's HINT comes on a line of its own: keep the message one line.
            reason = " ".join(str(exc).split())
            raise PgvectorUnavailable(
                f"the pgvector extension is available but could not be created ({reason}); "
                f'ask a superuser to run CREATE EXTENSION "{extension}" in this database, '
                "then run `paperwire migrate` again"
            ) from exc
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = %s", [extension])
        version = str(cursor.fetchone()[0])
    else:
        version = str(row[1])
    if _version(version) < PGVECTOR_MIN:
        raise PgvectorUnavailable(
            f"pgvector {version} is too old: HNSW indexes need pgvector ≥ 0.5; "
            f'run ALTER EXTENSION "{extension}" UPDATE after upgrading it'
        )
    return version


def _version(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


# Set (SET LOCAL, so for one transaction of one session) by a bulk writer that indexes
# the papers it inserts itself, in one statement (search/backends/postgresql/__init__.py).
DEFER_SETTING = "paperwire.defer_search_index"
_DEFERRED = f"current_setting('{DEFER_SETTING}', true) = 'on'"

# Latin letters without their diacritics (search/fold.py, the same table as queries are
# folded with in Python): "Schrodinger" finds "Schrödinger" as FTS5 does, without the
# unaccent extension, which not every server has. The characters are constants of fold.py.
_FOLD = f"""
CREATE OR REPLACE FUNCTION search_fold(t text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT translate(t, '{SQL_FROM}', '{SQL_TO}')
$$"""


# Hyphens become spaces, in documents and queries alike (tsvector.py): PostgreSQL's
# parser gives "mixture-of-experts" a position of its own before its parts, so the
# phrase "large mixture" would not match "large mixture-of-experts" (FTS5 splits there).
# Diacritics are folded (search_fold), in documents and queries alike (not before search
# 0007: `folded=False`).
def _weighted_document(folded: bool) -> str:
    def part(name: str, weight: str) -> str:
        text = f"translate(coalesce({name}, ''), '-', ' ')"
        text = f"search_fold({text})" if folded else text
        return f"setweight(to_tsvector('{TS_CONFIG}', {text}), '{weight}')"

    return f"""
CREATE OR REPLACE FUNCTION search_paper_document(title text, abstract text, authors text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT {part("title", "A")}
        || {part("abstract", "B")}
        || {part("authors", "C")}
$$"""


_AUTHORS_OF = """
CREATE OR REPLACE FUNCTION search_paper_authors(pid bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(a.name, ', ' ORDER BY pa.position), '')
    FROM papers_paperauthor pa JOIN papers_author a ON a.id = pa.author_id
    WHERE pa.paper_id = pid
$$"""


def _texts(search_text: bool) -> str:
    """A paper's (title, abstract) as documents hold them: its search text (the readable
    text, papers_paper.search_title / search_abstract) where it has one. Without
    `search_text`: as before papers had those columns (papers 0005), for the migrations
    that ran before them."""
    if not search_text:
        return "p.title, p.abstract"
    return "coalesce(p.search_title, p.title), coalesce(p.search_abstract, p.abstract)"


def _refresh(search_text: bool) -> str:
    return f"""
CREATE OR REPLACE FUNCTION search_doc_refresh(pid bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO {DOC_TABLE} (paper_id, document)
    SELECT p.id, search_paper_document({_texts(search_text)}, search_paper_authors(p.id))
    FROM papers_paper p WHERE p.id = pid
    ON CONFLICT (paper_id) DO UPDATE SET document = EXCLUDED.document
$$"""


# The triggers name no columns (no UPDATE OF, no WHEN): PostgreSQL refuses to change
# the type of a column a trigger names, which would block later migrations of the
# papers app (a longer title). The functions compare OLD and NEW instead.
def _on_paper(search_text: bool) -> str:
    changed = "OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract"
    if search_text:
        changed += (
            " OR OLD.search_title IS DISTINCT FROM NEW.search_title"
            " OR OLD.search_abstract IS DISTINCT FROM NEW.search_abstract"
        )
    return f"""
CREATE OR REPLACE FUNCTION search_doc_on_paper() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND {_DEFERRED} THEN
        RETURN NULL;  -- a bulk writer indexes its new papers itself (search/bulk.py)
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {DOC_TABLE} WHERE paper_id = OLD.id;
    ELSIF TG_OP = 'INSERT' OR {changed} THEN
        PERFORM search_doc_refresh(NEW.id);
    END IF;
    RETURN NULL;
END $$"""


_ON_PAPERAUTHOR = f"""
CREATE OR REPLACE FUNCTION search_doc_on_paperauthor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND {_DEFERRED} THEN
        RETURN NULL;  -- a bulk writer indexes its new papers itself (search/bulk.py)
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.paper_id = NEW.paper_id AND OLD.author_id = NEW.author_id
            AND OLD.position = NEW.position THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM search_doc_refresh(OLD.paper_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.paper_id <> OLD.paper_id) THEN
        PERFORM search_doc_refresh(NEW.paper_id);
    END IF;
    RETURN NULL;
END $$"""

_ON_AUTHOR = """
CREATE OR REPLACE FUNCTION search_doc_on_author() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IS DISTINCT FROM NEW.name THEN
        PERFORM search_doc_refresh(pa.paper_id)
        FROM papers_paperauthor pa WHERE pa.author_id = NEW.id;
    END IF;
    RETURN NULL;
END $$"""

_ON_TRUNCATE = f"""
CREATE OR REPLACE FUNCTION search_doc_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {DOC_TABLE};
    RETURN NULL;
END $$"""

# float32 little-endian bytes (what PaperVector.vector holds) to a pgvector value:
# sign, exponent and mantissa decoded exactly; NaN and infinities (never written) become 0.
_BLOB_TO_VECTOR = f"""
CREATE OR REPLACE FUNCTION search_blob_to_vector(b bytea)
RETURNS vector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(b) = {4 * DIM} THEN (
        SELECT array_agg(
            CASE
                WHEN (w >> 23) & 255 = 255 THEN 0
                WHEN (w >> 23) & 255 = 0 THEN (w & 8388607) * 2.0::float8 ^ (-149)
                ELSE ((w & 8388607) + 8388608) * 2.0::float8 ^ (((w >> 23) & 255) - 150)
            END * CASE WHEN (w >> 31) = 1 THEN -1 ELSE 1 END
            ORDER BY i
        )::real[]::vector({DIM})
        FROM (
            SELECT i, get_byte(b, 4 * i)::bigint | (get_byte(b, 4 * i + 1)::bigint << 8)
                | (get_byte(b, 4 * i + 2)::bigint << 16) | (get_byte(b, 4 * i + 3)::bigint << 24)
                AS w
            FROM generate_series(0, {DIM - 1}) AS i
        ) AS words
    ) END
$$"""

# The writers of this app send `embedding` with the bytes (pgvector.store_vectors):
# then it is kept. A row written without it (another client, an UPDATE of the bytes
# alone) gets it decoded here, in SQL, which is exact but slow (about 0.7 ms a row).
ON_VECTOR = f"""
CREATE OR REPLACE FUNCTION search_vector_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.dim <> {DIM} THEN
        NEW.embedding := NULL;
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.embedding IS NULL THEN
            NEW.embedding := search_blob_to_vector(NEW.vector);
        END IF;
    ELSIF OLD.vector IS DISTINCT FROM NEW.vector OR OLD.dim <> NEW.dim THEN
        IF NEW.embedding IS NULL OR NEW.embedding IS NOT DISTINCT FROM OLD.embedding THEN
            NEW.embedding := search_blob_to_vector(NEW.vector);
        END IF;
    ELSIF OLD.embedding IS DISTINCT FROM NEW.embedding THEN
        NEW.embedding := search_blob_to_vector(NEW.vector);
    END IF;
    RETURN NEW;
END $$"""

TRIGGER_NAMES = {
    "search_doc_paper_ai": "papers_paper",
    "search_doc_paper_au": "papers_paper",
    "search_doc_paper_ad": "papers_paper",
    "search_doc_paper_truncate": "papers_paper",
    "search_doc_paperauthor_aiud": "papers_paperauthor",
    "search_doc_author_au": "papers_author",
    "search_vector_biu": VECTOR_TABLE,
}

_TRIGGERS = [
    """CREATE TRIGGER search_doc_paper_ai AFTER INSERT ON papers_paper
        FOR EACH ROW EXECUTE FUNCTION search_doc_on_paper()""",
    """CREATE TRIGGER search_doc_paper_au AFTER UPDATE ON papers_paper
        FOR EACH ROW EXECUTE FUNCTION search_doc_on_paper()""",
    """CREATE TRIGGER search_doc_paper_ad AFTER DELETE ON papers_paper
        FOR EACH ROW EXECUTE FUNCTION search_doc_on_paper()""",
    """CREATE TRIGGER search_doc_paper_truncate AFTER TRUNCATE ON papers_paper
        FOR EACH STATEMENT EXECUTE FUNCTION search_doc_on_truncate()""",
    """CREATE TRIGGER search_doc_paperauthor_aiud
        AFTER INSERT OR UPDATE OR DELETE ON papers_paperauthor
        FOR EACH ROW EXECUTE FUNCTION search_doc_on_paperauthor()""",
    """CREATE TRIGGER search_doc_author_au AFTER UPDATE ON papers_author
        FOR EACH ROW EXECUTE FUNCTION search_doc_on_author()""",
    f"""CREATE TRIGGER search_vector_biu BEFORE INSERT OR UPDATE ON {VECTOR_TABLE}
        FOR EACH ROW EXECUTE FUNCTION search_vector_on_write()""",
]


def create(search_text: bool = True) -> list[str]:
    """Idempotent: the migration, and `reindex` after a restore that lost any of it.
    `search_text=False`: as before search 0007 (no search text, no folding)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS {DOC_TABLE} (
        paper_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    )""",
        f"CREATE INDEX IF NOT EXISTS search_paper_doc_gin ON {DOC_TABLE} USING gin (document)",
        f"ALTER TABLE {VECTOR_TABLE} ADD COLUMN IF NOT EXISTS embedding vector({DIM})",
        _FOLD,
        _weighted_document(folded=search_text),
        _AUTHORS_OF,
        _refresh(search_text),
        _on_paper(search_text),
        _ON_PAPERAUTHOR,
        _ON_AUTHOR,
        _ON_TRUNCATE,
        _BLOB_TO_VECTOR,
        ON_VECTOR,
        *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in TRIGGER_NAMES.items()),
        *_TRIGGERS,
    ]


CREATE = create()

# The HNSW index of the embeddings (cosine). Built once after a bulk load it takes a
# fraction of the time that inserting the same rows into it one by one does.
HNSW_CREATE = f"""CREATE INDEX IF NOT EXISTS {HNSW_INDEX} ON {VECTOR_TABLE}
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"""


def rebuild_docs(search_text: bool = True) -> list[str]:
    """Fills the documents from the stored rows: the migration on existing data, and
    `reindex`."""
    return [
        f"TRUNCATE {DOC_TABLE}",
        f"""INSERT INTO {DOC_TABLE} (paper_id, document)
        SELECT p.id, search_paper_document({_texts(search_text)}, search_paper_authors(p.id))
        FROM papers_paper p""",
    ]


REBUILD_DOCS = rebuild_docs()

# After papers got their search text and documents their folding (papers 0005, search
# 0007): only the documents that either changes are made again, those of papers with a
# search text or with a character outside ASCII in their text or an author's name.
_NOT_ASCII = "octet_length({0}) <> char_length({0})"
REFRESH_CHANGED_DOCS = f"""SELECT count(search_doc_refresh(p.id)) FROM papers_paper p
    WHERE p.search_title IS NOT NULL OR p.search_abstract IS NOT NULL
        OR {_NOT_ASCII.format("p.title")} OR {_NOT_ASCII.format("p.abstract")}
        OR EXISTS (SELECT 1 FROM papers_paperauthor pa JOIN papers_author a ON a.id = pa.author_id
                   WHERE pa.paper_id = p.id AND {_NOT_ASCII.format("a.name")})"""
REBUILD_VECTORS = [
    f"""UPDATE {VECTOR_TABLE} SET embedding = search_blob_to_vector(vector)
        WHERE dim = {DIM} AND embedding IS DISTINCT FROM search_blob_to_vector(vector)""",
    # After the backfill: one build is much faster than as many inserts.
    HNSW_CREATE,
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in TRIGGER_NAMES.items()),
    f"DROP INDEX IF EXISTS {HNSW_INDEX}",
    f"ALTER TABLE {VECTOR_TABLE} DROP COLUMN IF EXISTS embedding",
    f"DROP TABLE IF EXISTS {DOC_TABLE}",
    "DROP FUNCTION IF EXISTS search_vector_on_write()",
    "DROP FUNCTION IF EXISTS search_blob_to_vector(bytea)",
    "DROP FUNCTION IF EXISTS search_doc_on_truncate()",
    "DROP FUNCTION IF EXISTS search_doc_on_author()",
    "DROP FUNCTION IF EXISTS search_doc_on_paperauthor()",
    "DROP FUNCTION IF EXISTS search_doc_on_paper()",
    "DROP FUNCTION IF EXISTS search_doc_refresh(bigint)",
    "DROP FUNCTION IF EXISTS search_paper_authors(bigint)",
    "DROP FUNCTION IF EXISTS search_paper_document(text, text, text)",
    "DROP FUNCTION IF EXISTS search_fold(text)",
]


def drop_vector_index(cursor: Any) -> None:
    """Before a bulk load of vectors: rows then go in without walking the HNSW graph."""
    cursor.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")


def build_vector_index(cursor: Any, memory: str = "4GB", workers: int = 2) -> None:
    """After a bulk load: one HNSW build, with `memory` (maintenance_work_mem: the
    graph fits in it, about 2 GB a million 384-dimension vectors, or the build slows
    down a lot) and `workers` parallel maintenance workers, for this transaction."""
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
    cursor.execute(
        "SELECT set_config('max_parallel_maintenance_workers', %s, true)", [str(workers)]
    )
    cursor.execute(HNSW_CREATE)


def install(cursor: Any, search_text: bool = True) -> None:
    """pgvector, the document table, the embedding column, triggers and indexes, filled.
    `search_text=False`: as before papers had search text columns (papers 0005)."""
    ensure_pgvector(cursor)
    for sql in [*create(search_text), *rebuild_docs(search_text), *REBUILD_VECTORS]:
        cursor.execute(sql)
