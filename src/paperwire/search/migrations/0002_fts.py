"""The FTS5 keyword index and its sync triggers (SQLite only)."""

from django.db import migrations

from paperwire.search.fts_sql import CREATE, DROP, REBUILD, TRIGGERS


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        for sql in [*CREATE, *TRIGGERS, *REBUILD]:
            cur.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        for sql in DROP:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("papers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
