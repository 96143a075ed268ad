"""The FTS5 keyword index and its sync triggers (SQLite only)."""

from django.db import migrations

from paperwire.search.fts_sql import CREATE, DROP, rebuild, triggers


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        # As they were then: papers had no search text columns yet (papers 0005).
        for sql in [*CREATE, *triggers(search_text=False), *rebuild(search_text=False)]:
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
