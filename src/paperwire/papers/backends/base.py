"""What every database backend of paperwire answers (see __init__.py for the chooser)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet


class HealthReport(Protocol):
    """dbtools.Report, as a backend's health checks fill it."""

    def ok(self, text: str) -> None: ...

    def warn(self, text: str) -> None: ...

    def fail(self, text: str) -> None: ...


class CopyColumns(Protocol):
    """dbcopy.ExtraColumns, as far as a COPY needs it."""

    def columns(self, cursor: Any) -> list[str]: ...

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]: ...


class DatabaseBackend:
    """One database connection's way of doing what differs between databases."""

    name = ""
    # The ingest's fast path may write the text Django's SQLite backend stores for
    # datetimes and JSON (ingest/sqltext.py) instead of adapting every value.
    writes_stored_text = False
    # Bulk copies can stream rows with COPY (and fill extra columns the app computes).
    supports_copy = False

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def where(self) -> str:
        """The database, for messages (never the password)."""
        raise NotImplementedError

    def check(self, report: HealthReport) -> None:
        """Server, extension and index health, for `paperwire db check`."""

    def vector_extension(self) -> tuple[str | None, str | None]:
        """(installed version, available version) of pgvector, where there is such a thing."""
        return None, None

    def before_migrate_problem(self) -> str | None:
        """Why `migrate` would fail on this database before it starts, or None."""
        return None

    @contextmanager
    def fewer_checkpoints(self, pages: int) -> Iterator[None]:
        """A bulk writer's context: let the write-ahead log grow (where that matters)."""
        yield

    def insert_rows(self, cursor: Any, sql: str, marks: str, rows: list[tuple[Any, ...]]) -> None:
        """Run `INSERT … VALUES (marks)` for every row, as this database does it fastest."""
        cursor.executemany(sql, rows)

    def preassign_ids(self, table: str, count: int) -> int | None:
        """The id before the first of `count` new rows when the caller may number them
        itself (inside the writer's transaction), or None when the database numbers them."""
        return None

    def copy_rows(
        self,
        model: type[models.Model],
        fields: Sequence[models.Field[Any, Any]],
        rows: list[tuple[Any, ...]],
        extra: CopyColumns | None,
    ) -> int:
        """Stream rows (none of which the table holds) in; only where supports_copy."""
        raise NotImplementedError

    def containing_in_any_case(
        self, rows: QuerySet[Any], fields: Sequence[str], text: str
    ) -> QuerySet[Any]:
        """The rows of which one of `fields` contains `text`, letters of any case alike
        ("ü" finds "Über"); `text` is plain text, no pattern."""
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": text})
        return rows.filter(match)

    def with_raw_cursor(self, fn: Callable[[Any], None]) -> None:
        """fn(a cursor of the database driver), in a transaction of its own."""
        raise NotImplementedError
