"""The FTS5 insert triggers step aside inside a bulk writer's transaction (search/bulk.py):
add the table they check and re-create them with the condition (SQLite only)."""

from django.db import migrations

from paperwire.search.fts_sql import CREATE, TRIGGER_NAMES, triggers


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        # As they were then: papers had no search text columns yet (papers 0005).
        old = triggers(search_text=False)
        for sql in [*CREATE, *(f"DROP TRIGGER IF EXISTS {n}" for n in TRIGGER_NAMES), *old]:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_postgres")]

    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
