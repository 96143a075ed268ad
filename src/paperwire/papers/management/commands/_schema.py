"""A clear error, instead of a database traceback, when the schema is missing or old."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def require_migrated(database: str = DEFAULT_DB_ALIAS) -> None:
    connection = connections[database]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"the database ({connection.settings_dict['NAME']}) is not set up or is out of "
            f"date ({len(pending)} migration(s) to apply): run `paperwire migrate` first"
        )
