"""On PostgreSQL: pgvector, the weighted tsvector table, the embedding column, their
triggers and their GIN and HNSW indexes (see search/pg_sql.py). Nothing on SQLite,
whose keyword index is the FTS5 table of 0002_fts."""

from django.db import migrations

from paperwire.search import pg_sql


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        # As it was then: papers had no search text columns yet (papers 0005).
        pg_sql.install(cur, search_text=False)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for sql in pg_sql.DROP:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_papervector_model_at_idx"),
        ("papers", "0002_paper_hidden"),
    ]

    operations = [migrations.RunPython(create, drop)]
