"""On PostgreSQL: the vector trigger keeps an `embedding` its writer sent with the bytes
(search/pg_search.py store_vectors) and decodes the bytes in SQL only for rows written
without it. Nothing on SQLite."""

from django.db import migrations

from paperwire.search import pg_sql

# The function as 0004_postgres created it: a reverse migration restores it.
_DECODE_ALWAYS = f"""
CREATE OR REPLACE FUNCTION search_vector_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.vector IS DISTINCT FROM NEW.vector OR OLD.dim <> NEW.dim
            OR OLD.embedding IS DISTINCT FROM NEW.embedding THEN
        NEW.embedding := CASE WHEN NEW.dim = {pg_sql.DIM} THEN search_blob_to_vector(NEW.vector) END;
    END IF;
    RETURN NEW;
END $$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(pg_sql.ON_VECTOR)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(_DECODE_ALWAYS)


class Migration(migrations.Migration):
    dependencies = [("search", "0005_fts_bulk_suspend")]

    operations = [migrations.RunPython(forward, backward)]
