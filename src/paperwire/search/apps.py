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
    a table rebuild drops the FTS sync triggers on it)."""
    from paperwire.search.backends import search_backend

    search_backend(using).after_migrate()
