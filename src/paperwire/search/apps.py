from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "paperwire.search"
    label = "search"

    def ready(self) -> None:
        post_migrate.connect(repair_after_migrate, sender=self)
        from paperwire.papers.dbcopy import register_columns
        from paperwire.papers.indexing import register
        from paperwire.search.backends import search_backend
        from paperwire.search.backends.bulk import BackendBulkIndex
        from paperwire.search.models import PaperVector

        register(BackendBulkIndex())
        register_columns(
            PaperVector._meta.db_table, lambda alias: search_backend(alias).copy_columns()
        )


def repair_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """Let the database's search backend repair what a migration dropped (on SQLite,
    a table rebuild drops the FTS sync triggers on it), and derive the embedding
    model's int8 copy the first time (search/int8_model.py), so that the first search
    or embedding after an install does not wait for it."""
    import sys

    from paperwire.search.backends import search_backend
    from paperwire.search.embeddings import model_needs_preparing, prepare_model

    search_backend(using).after_migrate()
    out = kwargs.get("stdout") or sys.stdout
    if model_needs_preparing():
        # Said at any verbosity: `paperwire serve` migrates quietly, and this takes ~10 s.
        out.write("Preparing the embedding model's int8 copy (once, about 10 s)…\n")
        out.flush()
    ready, note = prepare_model()
    if not ready:
        # Told, not fatal: search answers by keywords until the model can be loaded.
        sys.stderr.write(note + "\n")
    elif note and kwargs.get("verbosity", 1) >= 1:
        out.write(note + "\n")
