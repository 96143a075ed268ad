"""SQLite: one file, one writer at a time, WAL."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, Error
from django.db.models import QuerySet

from paperwire.papers.backends.base import DatabaseBackend, HealthReport

log = logging.getLogger(__name__)


class SQLiteBackend(DatabaseBackend):
    name = "sqlite"

    @property
    def writes_stored_text(self) -> bool:  # type: ignore[override]
        # sqltext's values are what Django stores on SQLite running in UTC (TIME_ZONE).
        return self.connection.timezone_name == "UTC"

    def where(self) -> str:
        return f"SQLite file {self.connection.settings_dict['NAME']}"

    @contextmanager
    def fewer_checkpoints(self, pages: int) -> Iterator[None]:
        """Let the write-ahead log grow to `pages` pages before its contents are copied
        into the database file, instead of 1,000 (4 MB). A page of 1,000 new papers
        writes about 3.5 MB, so with the default every commit of a harvest ran a
        checkpoint of its own (two fsyncs, and the index pages that each commit touches
        copied again each time); measured: 7 % of a harvest's time. Restored afterwards,
        and the log is then checkpointed once (PASSIVE: never waits for readers)."""
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            before = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA wal_autocheckpoint = {max(int(pages), before)}")
        try:
            yield
        finally:
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA wal_autocheckpoint = {before}")
                    if not self.connection.in_atomic_block:
                        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except DatabaseError as exc:  # never hide the error that ended the harvest
                log.warning("could not restore the WAL checkpoint setting: %s", exc)

    def containing_in_any_case(
        self, rows: QuerySet[Any], fields: Sequence[str], text: str
    ) -> QuerySet[Any]:
        # SQLite's LIKE folds the case of ASCII letters only ("ü" would miss "Über"), as
        # do its lower() and upper(). A text with other letters is matched here, over
        # the table's values of `fields`: meant for small tables (organizations).
        if text.isascii():
            return super().containing_in_any_case(rows, fields, text)
        wanted = text.casefold()
        found = [
            pk
            for pk, *values in rows.model._default_manager.values_list("pk", *fields)
            if any(wanted in (value or "").casefold() for value in values)
        ]
        return rows.filter(pk__in=found)

    def preassign_ids(self, table: str, count: int) -> int | None:
        # Safe inside the writer's transaction: it holds SQLite's single write lock
        # (BEGIN IMMEDIATE), so no other connection can take these ids meanwhile.
        if not self.connection.in_atomic_block or not count:
            return None
        with self.connection.cursor() as cursor:
            # The table name comes from a model, never from input.
            cursor.execute(
                f"SELECT max(coalesce((SELECT max(id) FROM {table}), 0),"  # noqa: S608
                " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
                [table],
            )
            return int(cursor.fetchone()[0])

    def check(self, report: HealthReport) -> None:
        with self.connection.cursor() as cursor:
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
