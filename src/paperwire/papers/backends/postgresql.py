"""PostgreSQL (14 or newer) with pgvector: many web and worker processes, one server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models, transaction

from paperwire.papers.backends.base import CopyColumns, DatabaseBackend, HealthReport

# The lowest versions deployment.md promises to work with.
MIN_POSTGRESQL = 14
MIN_PGVECTOR = (0, 5)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


class PostgresBackend(DatabaseBackend):
    name = "postgresql"
    supports_copy = True

    def where(self) -> str:
        params = self.connection.settings_dict
        host = params.get("HOST") or "the local socket"
        port = f":{params['PORT']}" if params.get("PORT") else ""
        user = f"{params['USER']}@" if params.get("USER") else ""
        return f"PostgreSQL {user}{host}{port}/{params['NAME']}"

    def vector_extension(self) -> tuple[str | None, str | None]:
        """(installed version, available version) of pgvector."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT installed_version, default_version FROM pg_available_extensions "
                "WHERE name = 'vector'"
            )
            row = cursor.fetchone()
        return (row[0], row[1]) if row else (None, None)

    def before_migrate_problem(self) -> str | None:
        installed, available = self.vector_extension()
        if installed or available:
            return None
        return (
            f"the pgvector extension is not installed on the server of {self.where()}:"
            " install pgvector 0.5 or later (e.g. the postgresql-NN-pgvector package)"
            " and run the copy again"
        )

    def insert_rows(self, cursor: Any, sql: str, marks: str, rows: list[tuple[Any, ...]]) -> None:
        # One statement per few hundred rows, not a round trip per row.
        if not rows:
            return
        per = max(1, 20_000 // len(rows[0]))
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            many = sql.replace(
                f"VALUES ({marks})", "VALUES " + ", ".join([f"({marks})"] * len(chunk))
            )
            cursor.execute(many, [v for row in chunk for v in row])

    def copy_rows(
        self,
        model: type[models.Model],
        fields: Sequence[models.Field[Any, Any]],
        rows: list[tuple[Any, ...]],
        extra: CopyColumns | None,
    ) -> int:
        """COPY rows in binary, with the extra columns an app computes from each row."""
        import psycopg

        connection = self.connection
        names = [f.attname for f in fields]
        quote = connection.ops.quote_name
        table = model._meta.db_table
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            extra_columns = extra.columns(cursor) if extra else []
            columns = ", ".join(quote(c) for c in [*(f.column for f in fields), *extra_columns])
            # Names come from the models and the registered apps, never from input.
            cursor.execute(f"SELECT {columns} FROM {quote(table)} LIMIT 0")  # noqa: S608
            types = [d.type_code for d in cursor.description or []]
            copy_sql = f"COPY {quote(table)} ({columns}) FROM STDIN (FORMAT BINARY)"
            with cursor.copy(copy_sql) as copy:
                copy.set_types(types)
                for row in rows:
                    values = [
                        f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)
                    ]
                    if extra and extra_columns:
                        values.extend(extra.values(dict(zip(names, row, strict=True))))
                    copy.write_row(values)
        return len(rows)

    def with_raw_cursor(self, fn: Callable[[Any], None]) -> None:
        import psycopg

        with transaction.atomic(using=self.connection.alias):
            self.connection.ensure_connection()
            with psycopg.Cursor(self.connection.connection) as cursor:
                fn(cursor)

    def check(self, report: HealthReport) -> None:
        connection = self.connection
        major = connection.pg_version // 10000  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        if major < MIN_POSTGRESQL:
            report.fail(f"PostgreSQL {version}: paperwire needs {MIN_POSTGRESQL} or later")
        else:
            report.ok(f"PostgreSQL {version}")
        self._check_pgvector(report)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) "
                "ORDER BY 1"
            )
            invalid = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
            )
            total = cursor.fetchone()[0]
        if invalid:
            report.fail(
                f"invalid indexes (an interrupted CREATE INDEX CONCURRENTLY?): "
                f"{', '.join(invalid)}: REINDEX INDEX CONCURRENTLY each of them"
            )
        else:
            report.ok(f"{total} indexes, all valid")

    def _check_pgvector(self, report: HealthReport) -> None:
        installed, available = self.vector_extension()
        if installed:
            if _version_tuple(installed) < MIN_PGVECTOR:
                report.fail(
                    f"pgvector {installed} is too old for HNSW indexes: "
                    "ALTER EXTENSION vector UPDATE (needs 0.5 or later)"
                )
            else:
                report.ok(f"pgvector {installed}")
        elif available:
            report.fail(
                f"pgvector {available} is available but not enabled in this database: run "
                "`paperwire migrate` as a user allowed to CREATE EXTENSION vector, or have a "
                "superuser run CREATE EXTENSION vector"
            )
        else:
            report.fail(
                "the pgvector extension is not installed on this server: install pgvector "
                "0.5 or later (e.g. the postgresql-NN-pgvector package), then run "
                "`paperwire migrate`"
            )
