"""The secret key's fingerprint (papers/secretkey.py): empty until a web, worker or serve
process starts and records its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("papers", "0005_paper_search_text")]

    operations = [
        migrations.CreateModel(
            name="SiteKey",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("fingerprint", models.CharField(max_length=64)),
                ("recorded_at", models.DateTimeField()),
            ],
        ),
    ]
