"""The database as an operator sees it: clear words for connection failures, and the
health report of `paperwire db check`.

Everything here takes a connection alias, so `paperwire db copy` can ask the same
questions of its source and its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.migrations.executor import MigrationExecutor

# The lowest versions deployment.md promises to work with.
MIN_POSTGRESQL = 14
MIN_PGVECTOR = (0, 5)


class DatabaseProblem(Exception):
    """A problem with a database the operator has to fix; the message says how."""


def where(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The database of a connection, for messages (never the password)."""
    params = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"SQLite file {params['NAME']}"
    host = params.get("HOST") or "the local socket"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    user = f"{params['USER']}@" if params.get("USER") else ""
    return f"PostgreSQL {user}{host}{port}/{params['NAME']}"


def explain(exc: BaseException, alias: str = DEFAULT_DB_ALIAS, setting: str = "") -> str:
    """One line saying what went wrong with a connection and what to do about it."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    low = reason.lower()
    check = f"; check {setting or 'PAPERWIRE_DATABASE_URL'}"
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return f"{where(alias)}: {reason}: the schema is missing or old; run `paperwire migrate`"
    if "password authentication failed" in low or "no password supplied" in low:
        return f"{where(alias)} refused the user name or password: {reason}{check}"
    if "does not exist" in low and "database" in low:
        return f"{where(alias)}: {reason}; create it (createdb) or fix the database name{check}"
    if "role" in low and "does not exist" in low:
        return f"{where(alias)}: {reason}; create the role or fix the user name{check}"
    if any(
        text in low
        for text in (
            "could not connect",
            "connection refused",
            "timeout expired",
            "could not translate host name",
            "no such file or directory",
            "connection to server",
            "name or service not known",
        )
    ):
        return f"could not connect to {where(alias)}: {reason}{check}"
    if "unable to open database file" in low:
        return f"could not open {where(alias)}: {reason}; check the path and its permissions"
    if connections[alias].connection is not None:
        # The database was reached and answered: the query was refused (too many joins,
        # a statement timeout, a lock), which no connection setting would change.
        return f"{where(alias)}: the database refused a query: {reason}"
    return f"{where(alias)}: {reason}{check}"


def connect(alias: str = DEFAULT_DB_ALIAS, setting: str = "") -> None:
    """Open the connection now, turning any failure into a DatabaseProblem."""
    try:
        connections[alias].ensure_connection()
    except Error as exc:
        raise DatabaseProblem(explain(exc, alias, setting)) from None


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations not applied yet, as 'app.name'."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def vector_extension(alias: str = DEFAULT_DB_ALIAS) -> tuple[str | None, str | None]:
    """(installed version, available version) of pgvector on a PostgreSQL database."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT installed_version, default_version FROM pg_available_extensions "
            "WHERE name = 'vector'"
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@dataclass
class Report:
    """What `paperwire db check` found: lines to show, and whether anything is wrong."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (status, text)

    def ok(self, text: str) -> None:
        self.lines.append(("ok", text))

    def warn(self, text: str) -> None:
        self.lines.append(("warning", text))

    def fail(self, text: str) -> None:
        self.lines.append(("error", text))

    @property
    def failed(self) -> bool:
        return any(status == "error" for status, _ in self.lines)


def check_database(alias: str = DEFAULT_DB_ALIAS) -> Report:
    """Connection, server, extensions, migrations and index health of one database."""
    report = Report()
    try:
        connect(alias)
    except DatabaseProblem as exc:
        report.fail(str(exc))
        return report
    connection = connections[alias]
    report.ok(f"connected to {where(alias)}")
    if connection.vendor == "postgresql":
        _check_postgresql(alias, report)
    elif connection.vendor == "sqlite":
        _check_sqlite(alias, report)
    pending = pending_migrations(alias)
    if pending:
        report.fail(
            f"{len(pending)} migration(s) not applied ({', '.join(pending[:5])}"
            f"{', …' if len(pending) > 5 else ''}): run `paperwire migrate`"
        )
    else:
        report.ok("every migration is applied")
    return report


def _check_postgresql(alias: str, report: Report) -> None:
    connection = connections[alias]
    major = connection.pg_version // 10000  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    if major < MIN_POSTGRESQL:
        report.fail(f"PostgreSQL {version}: paperwire needs {MIN_POSTGRESQL} or later")
    else:
        report.ok(f"PostgreSQL {version}")
    installed, available = vector_extension(alias)
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
            f"invalid indexes (an interrupted CREATE INDEX CONCURRENTLY?): {', '.join(invalid)}"
            ": REINDEX INDEX CONCURRENTLY each of them"
        )
    else:
        report.ok(f"{total} indexes, all valid")


def _check_sqlite(alias: str, report: Report) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0])
        cursor.execute("PRAGMA quick_check")
        problems = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
        fts_tables = [str(row[0]) for row in cursor.fetchall()]
        fts_problems = []
        for table in fts_tables:
            try:
                # Names come from sqlite_master, not from input.
                cursor.execute(
                    f'INSERT INTO "{table}"("{table}") VALUES (\'integrity-check\')'  # noqa: S608
                )
            except Error as exc:
                fts_problems.append(f"{table}: {exc}")
    if mode.lower() == "wal":
        report.ok("journal mode WAL")
    else:
        report.warn(f"journal mode {mode} (paperwire sets WAL when it connects)")
    if problems == ["ok"]:
        report.ok("SQLite quick_check: ok")
    else:
        report.fail(f"SQLite quick_check: {'; '.join(problems[:5])}: restore from a backup")
    if fts_problems:
        report.fail(
            f"full-text index damaged ({'; '.join(fts_problems)}): restore from a backup, "
            "or rebuild it with the FTS5 'rebuild' command"
        )
    elif fts_tables:
        report.ok(f"full-text index {', '.join(fts_tables)}: integrity ok")
