"""`paperwire migrate`: Django's migrate, plus the shared cache table and the embedding model."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate


class Command(DjangoMigrate):
    help = (
        "Create or upgrade the database schema (and the cache table pages are shared "
        "through), and prepare the embedding model's int8-kernel copy once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        call_command("createcachetable", database=options["database"], verbosity=0)
        from paperwire.search.embeddings import prepare_model

        # Done here, once, so that the first search or embedding after an install does
        # not wait for it (search/int8_model.py). A failure is told, not fatal: search
        # answers by keywords until the model can be loaded.
        ready, note = prepare_model()
        if not ready:
            self.stderr.write(note)
        elif note and options["verbosity"] >= 1:
            self.stdout.write(note)
