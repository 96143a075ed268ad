"""The database as an operator sees it: clear words for connection failures, and the
health report of `paperwire db check`.

Everything here takes a connection alias, so `paperwire db copy` can ask the same
questions of its source and its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.migrations.executor import MigrationExecutor

from paperwire.papers.backends import database


class DatabaseProblem(Exception):
    """A problem with a database the operator has to fix; the message says how."""


def where(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The database of a connection, for messages (never the password)."""
    return database(alias).where()


def explain(exc: BaseException, alias: str = DEFAULT_DB_ALIAS, setting: str = "") -> str:
    """One line saying what went wrong with a connection and what to do about it."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    low = reason.lower()
    check = f"; check {setting or 'PAPERWIRE_DATABASE_URL'}"
    if "no such table" in low or (
        ("relation" in low or "column" in low) and "does not exist" in low
    ):
        # PostgreSQL adds the statement and a caret on the next lines: the first one says it.
        first = str(exc).strip().splitlines()[0]
        return f"{where(alias)}: {first}: the schema is missing or old; run `paperwire migrate`"
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
    """(installed version, available version) of pgvector on the database."""
    return database(alias).vector_extension()


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
    report.ok(f"connected to {where(alias)}")
    database(alias).check(report)
    pending = pending_migrations(alias)
    if pending:
        report.fail(
            f"{len(pending)} migration(s) not applied ({', '.join(pending[:5])}"
            f"{', …' if len(pending) > 5 else ''}): run `paperwire migrate`"
        )
    else:
        report.ok("every migration is applied")
        _check_secret_key(report, alias)
    return report


def _check_secret_key(report: Report, alias: str) -> None:
    # A warning, not an error: this command signs nothing, and may run from a shell
    # without the site's environment; `web`, `worker` and `serve` refuse a wrong key.
    from paperwire.papers.secretkey import key_source, mismatch_message, secret_key_state

    state = secret_key_state(alias)
    if state == "same":
        report.ok(f"the secret key is the site's ({key_source()})")
    elif state == "unrecorded":
        report.ok("no secret key recorded yet (the first web, worker or serve records its own)")
    else:
        report.warn(mismatch_message())
