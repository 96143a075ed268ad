"""Papers get their search text: the readable title and abstract that search indexes and
embeds (papers/tex.py search_text), NULL where it is the stored text itself.

The columns are added empty (nullable, no default: no table rebuild on SQLite, no rewrite
on PostgreSQL) and filled from the stored text in batches of BATCH papers, reading in id
order and writing only the papers whose text has TeX markup to read (a minority).
search's 0007 then brings the keyword index and the vectors of those papers up to date.
"""

from django.db import migrations, models

from paperwire.papers.tex import search_text

BATCH = 2000


def fill_search_text(connection, batch: int = BATCH) -> int:
    """Set search_title / search_abstract of every paper from its title and abstract;
    returns how many papers got a search text."""
    written = 0
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, title, abstract FROM papers_paper WHERE id > %s ORDER BY id LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return written
            last = rows[-1][0]
            changed = []
            for pk, title, abstract in rows:
                plain_title, plain_abstract = search_text(title), search_text(abstract)
                if plain_title is not None or plain_abstract is not None:
                    changed.append((plain_title, plain_abstract, pk))
            if changed:
                cursor.executemany(
                    "UPDATE papers_paper SET search_title = %s, search_abstract = %s WHERE id = %s",
                    changed,
                )
                written += len(changed)


def forward(apps, schema_editor):
    fill_search_text(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_hub_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="search_abstract",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="paper",
            name="search_title",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
