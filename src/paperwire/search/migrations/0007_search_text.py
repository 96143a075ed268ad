"""The keyword index reads a paper's search text (papers 0005: its title and abstract
with the TeX markup read, `na\\"ive` as "naïve") where it has one, and PostgreSQL's
documents fold diacritics as FTS5 does (search/fold.py).

Cheap on a large site: only the index rows that change are written again, those of
papers with a search text (on PostgreSQL also those with any character outside ASCII,
which folding changes), not the whole index. Those papers' vectors were made from the
TeX text: they are kept, and marked for `paperwire embed` (or the worker) to check
again (text_hash 'recheck', vectors.RECHECK), which re-embeds the ones whose text changed.
"""

from django.db import migrations

from paperwire.search import fts_sql, pg_sql

# vectors.RECHECK, as it is now (a migration keeps its own copy).
STALE_VECTORS = """UPDATE search_papervector SET text_hash = 'recheck'
    WHERE paper_id IN (SELECT id FROM papers_paper
                       WHERE search_title IS NOT NULL OR search_abstract IS NOT NULL)"""


def _triggers(search_text: bool) -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in fts_sql.TRIGGER_NAMES),
        *fts_sql.CREATE,
        *fts_sql.triggers(search_text=search_text),
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cur:
        if vendor == "sqlite":
            for sql in [*_triggers(True), fts_sql.REFRESH_SEARCH_TEXT]:
                cur.execute(sql)
        elif vendor == "postgresql":
            for sql in [*pg_sql.CREATE, pg_sql.REFRESH_CHANGED_DOCS]:
                cur.execute(sql)
        cur.execute(STALE_VECTORS)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cur:
        if vendor == "sqlite":
            for sql in [*_triggers(False), *fts_sql.rebuild(search_text=False)]:
                cur.execute(sql)
        elif vendor == "postgresql":
            for sql in [*pg_sql.create(search_text=False), *pg_sql.rebuild_docs(False)]:
                cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_pg_embedding_written_directly"),
        ("papers", "0005_paper_search_text"),
    ]

    operations = [migrations.RunPython(forward, backward)]
