from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "paperwire.search"
    label = "search"

    def ready(self) -> None:
        post_migrate.connect(ensure_fts_triggers, sender=self)
        from paperwire.papers.dbcopy import register_columns
        from paperwire.papers.indexing import register
        from paperwire.search.bulk import FtsBulkIndex, PgBulkIndex, PgVectorColumns

        register(FtsBulkIndex())
        register(PgBulkIndex())
        register_columns(PgVectorColumns())


def ensure_fts_triggers(using: str = "default", **kwargs: Any) -> None:
    """Re-create the FTS sync triggers if a later migration dropped them.

    On SQLite, Django alters a table by rebuilding it, which drops the triggers
    on it (a new column on papers_paper would silently stop index updates).
    When any trigger is missing it is created and the index rebuilt.
    """
    from django.db import connections

    from paperwire.search.fts_sql import CREATE, REBUILD, TRIGGER_NAMES, TRIGGERS

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT name FROM sqlite_master WHERE name = 'papers_paper'")
        if not cur.fetchone() or set(TRIGGER_NAMES) <= present:
            return
        for sql in [*CREATE, *TRIGGERS, *REBUILD]:
            cur.execute(sql)
