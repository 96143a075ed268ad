"""PaperAuthor.paper loses its own index: the unique (paper, position) index starts with
it. Dropped by name, so SQLite does not rebuild the table (nor its search triggers)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "papers_paperauthor_paper_id_9a9a2a22"


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0002_paper_hidden"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f'CREATE INDEX {INDEX} ON "papers_paperauthor" ("paper_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="paperauthor",
                    name="paper",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="paper_authors",
                        to="papers.paper",
                    ),
                ),
            ],
        ),
    ]
