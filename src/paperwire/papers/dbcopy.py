"""`paperwire db copy`: move a whole install from one database to another (SQLite to
PostgreSQL), table by table, resumable, then prove the copy equal.

Each table is copied in primary-key order, a batch per transaction, with INSERT … ON
CONFLICT DO NOTHING on the primary key: a copy stopped anywhere (killed, network gone)
is completed by running the same command again, and no row is ever written twice.
Tables go in foreign-key order; PostgreSQL checks Django's foreign keys at commit, so a
batch never fails on a row whose parent comes later in the same batch.

Reading and writing go through each model's fields, so values are converted exactly as
Django converts them (SQLite's text timestamps to timestamptz, 0/1 to booleans, JSON
text to jsonb); `auto_now` timestamps are copied as stored, never renewed.

Into PostgreSQL each batch goes in with one binary COPY instead of INSERTs: a batch is
always the rows after the target's last primary key (checked equal to the source's
rows up to it), so no row can already be there. An app may add columns that its own
triggers would otherwise compute from a row (search: a vector's pgvector value), with
`register_columns` from its AppConfig.ready().
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction

from paperwire.papers.backends import database
from paperwire.papers.models import SiteKey

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in all)

# Tables that `migrate` fills by itself (post_migrate signals), differently per database.
GENERATED = ("contenttypes.ContentType", "auth.Permission")
# What a worker tried on the new database before the copy records of its own runs (the
# daily jobs' claims and, once a job is due, its task): the site's are the source's.
TRIAL_RECORDS = ("ingest.ScheduledRun", "django_tasks_database.DBTaskResult")
# Bound parameters per INSERT: under SQLite's 32766 and PostgreSQL's 65535.
MAX_PARAMETERS = 30_000


class ExtraColumns(Protocol):
    """Columns of a target table beyond its model's fields, computed from each row."""

    def columns(self, cursor: Any) -> list[str]:
        """The columns to fill on this target (a psycopg cursor on it); [] for none.
        May register adapters on the cursor for the values."""

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """Their values for a row ({attname: value} as the model reads it)."""

    def before_load(self, cursor: Any, rows: int) -> None:
        """Before `rows` rows are copied into the table (e.g. drop an index)."""

    def after_load(self, cursor: Any) -> None:
        """After the table is copied (e.g. build that index once)."""


# table -> the extra columns for a target database (alias), or None there.
_EXTRA: dict[str, Callable[[str], ExtraColumns | None]] = {}


def register_columns(table: str, for_target: Callable[[str], ExtraColumns | None]) -> None:
    _EXTRA[table] = for_target


class CopyProblem(Exception):
    """The copy cannot go on; the message says why and what to do."""


@dataclass
class TableResult:
    table: str
    source_rows: int
    target_rows: int
    copied: int
    source_sum: str = ""
    target_sum: str = ""

    @property
    def equal(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


def copy_order() -> list[type[models.Model]]:
    """Every concrete model with a table (the many-to-many tables too), parents first."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    by_label = {m._meta.label: m for m in candidates}
    done: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(model: type[models.Model], path: tuple[str, ...]) -> None:
        label = model._meta.label
        if label in seen or label in path:
            return  # a cycle is fine: foreign keys are checked at commit
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if isinstance(target, type) and target._meta.label in by_label and target is not model:
                visit(target, (*path, label))
        seen.add(label)
        done.append(model)

    for model in sorted(candidates, key=lambda m: m._meta.label):
        visit(model, ())
    return done


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _rows(
    model: type[models.Model], alias: str, after: Any = None, batch: int = 1000, upto: Any = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of a table (attname values, as the model reads them) in pk order, by batch;
    those after `after` and up to `upto` when given."""
    names = [f.attname for f in _fields(model)]
    pk = model._meta.pk.attname
    manager = model._base_manager.using(alias)
    if upto is not None:
        manager = manager.filter(**{f"{pk}__lte": upto})
    while True:
        query = manager.order_by(pk)
        if after is not None:
            query = query.filter(**{f"{pk}__gt": after})
        rows = list(query.values_list(*names)[:batch])
        if not rows:
            return
        yield rows
        after = rows[-1][names.index(pk)]


def _insert(model: type[models.Model], alias: str, rows: list[tuple[Any, ...]]) -> int:
    """INSERT rows, skipping those whose primary key the table holds; returns rows written."""
    connection = connections[alias]
    fields = _fields(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk_column = quote(model._meta.pk.column)
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                f.get_db_prep_save(value, connection)
                for row in chunk
                for f, value in zip(fields, row, strict=True)
            ]
            # Names come from the models, never from input.
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([row_marks] * len(chunk))} "
                f"ON CONFLICT ({pk_column}) DO NOTHING",
                params,
            )
            written += max(0, cursor.rowcount)
    return written


def _count(model: type[models.Model], alias: str) -> int:
    return int(model._base_manager.using(alias).count())


def _last_pk(model: type[models.Model], alias: str) -> Any:
    pk = model._meta.pk.attname
    return model._base_manager.using(alias).order_by(f"-{pk}").values_list(pk, flat=True).first()


def _plain(value: Any) -> Any:
    """A value in a form both databases give alike (jsonb reorders keys; bytea is a
    memoryview; a timestamp is compared as UTC ISO text)."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if hasattr(value, "isoformat"):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    return value


def checksum(
    model: type[models.Model],
    alias: str,
    batch: int = 2000,
    upto: Any = None,
    read: Callable[[int], None] | None = None,
) -> tuple[int, str]:
    """(rows, sha256 of every row in pk order) of a table (up to a pk), comparable across
    databases; `read` hears the number of rows of each batch read."""
    digest = hashlib.sha256()
    count = 0
    json_fields = {i for i, f in enumerate(_fields(model)) if isinstance(f, models.JSONField)}
    for rows in _rows(model, alias, batch=batch, upto=upto):
        if read:
            read(len(rows))
        for row in rows:
            plain = [
                json.dumps(v, sort_keys=True) if i in json_fields else _plain(v)
                for i, v in enumerate(row)
            ]
            digest.update(json.dumps(plain, default=str).encode())
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


def _not_from_source(model: type[models.Model], source: str, target: str) -> bool:
    """Whether the target's rows of `model` are other than the source's rows up to the
    last primary key the target holds (what an earlier copy, whole or stopped, wrote)."""
    last = _last_pk(model, target)
    return last is not None and checksum(model, target) != checksum(model, source, upto=last)


def _follow_source_key(source: str, target: str) -> None:
    """A `web` or `worker` started on the new database before the copy (to try it out)
    recorded its own secret key's fingerprint (papers/secretkey.py). The site's key is the
    source's, recorded or not yet: the target's record goes, and the source's is copied."""
    if checksum(SiteKey, source) != checksum(SiteKey, target):
        with transaction.atomic(using=target):
            SiteKey.objects.using(target).all().delete()


def _follow_source_tasks(source: str, target: str) -> None:
    """A `worker` tried on the new database before the copy (as deployment.md suggests)
    claimed the day's due jobs there, and ran them. Those records go when they are not
    the source's (or the start of them, from a copy stopped half-way), and the source's
    are copied: a database holding anything else is still refused."""
    for model in (apps.get_model(label) for label in TRIAL_RECORDS):
        if _not_from_source(model, source, target):
            with transaction.atomic(using=target):
                model._default_manager.using(target).all().delete()


def _prepare_generated(source: str, target: str) -> None:
    """`migrate` on the target made its own content types and permissions, numbered its
    own way. When they differ from the source's, they are replaced by the source's; that
    is only safe while the target holds nothing else (a new database)."""
    generated = [apps.get_model(label) for label in GENERATED]
    same = all(checksum(m, source) == checksum(m, target) for m in generated)
    if same:
        return
    others = [m for m in copy_order() if m not in generated and _count(m, target)]
    if others:
        names = ", ".join(m._meta.db_table for m in others[:5])
        raise CopyProblem(
            f"the target database already holds data that is not from this source ({names}"
            f"{', …' if len(others) > 5 else ''}): copy into a new, empty database"
        )
    connection = connections[target]
    with transaction.atomic(using=target), connection.cursor() as cursor:
        # Permissions first: they point at content types.
        for model in reversed(generated):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def _check_resumable(source: str, target: str, order: list[type[models.Model]]) -> None:
    """What the target holds must be what an earlier run copied: in each table, exactly
    the source's rows up to the last primary key copied (each batch commits whole)."""
    for model in order:
        if _not_from_source(model, source, target):
            raise CopyProblem(
                f"the target database already holds data that is not from this source "
                f"({model._meta.db_table}): copy into a new, empty database"
            )


def copy_database(
    source: str, target: str, *, batch: int = 1000, progress: Progress | None = None
) -> list[TableResult]:
    """Copy every table from the `source` connection to the migrated `target` one, reset
    the target's sequences, and verify counts and checksums of every table."""
    _follow_source_key(source, target)
    _follow_source_tasks(source, target)
    _prepare_generated(source, target)
    order = copy_order()
    _check_resumable(source, target, order)
    results = []
    for model in order:
        table = model._meta.db_table
        total = _count(model, source)
        done = _count(model, target)
        copied = 0
        if progress:
            progress(table, min(done, total), total)
        into = database(target)
        # Extra columns are streamed with COPY; where rows are INSERTed, triggers fill them.
        extra_for = _EXTRA.get(table) if into.supports_copy else None
        extra = extra_for(target) if extra_for else None
        if extra is not None and total > done:
            into.with_raw_cursor(partial(extra.before_load, rows=total - done))
        # Resume after the last row a previous run committed; ON CONFLICT covers the rest.
        for rows in _rows(model, source, after=_last_pk(model, target), batch=batch):
            with transaction.atomic(using=target):
                if into.supports_copy:
                    written = into.copy_rows(model, _fields(model), rows, extra)
                else:
                    written = _insert(model, target, rows)
            copied += written
            done += written
            if progress:
                progress(table, min(done, total), total)
        if extra is not None:
            into.with_raw_cursor(extra.after_load)
        results.append(TableResult(table, total, done, copied))
    reset_sequences(target, order)
    _verify(source, target, order, results, progress)
    return results


VERIFY = "verify (row counts and checksums)"


def _verify(
    source: str,
    target: str,
    order: list[type[models.Model]],
    results: list[TableResult],
    progress: Progress | None,
) -> None:
    """Count and checksum every table on both sides: at a million papers, minutes of
    reading, shown as one task over the rows of both databases."""
    total = sum(r.source_rows + r.target_rows for r in results)
    seen = 0

    def read(rows: int) -> None:
        nonlocal seen
        seen += rows
        if progress:
            # A table written to meanwhile may hold more rows than counted: the check
            # below says so; the task does not run past its end.
            progress(VERIFY, min(seen, total), total)

    if progress:
        progress(VERIFY, 0, total)
    for result, model in zip(results, order, strict=True):
        result.source_rows, result.source_sum = checksum(model, source, read=read)
        result.target_rows, result.target_sum = checksum(model, target, read=read)
    if progress:
        progress(VERIFY, total, total)


def reset_sequences(alias: str, order: list[type[models.Model]]) -> None:
    """Make the target's id sequences continue after the copied ids."""
    connection = connections[alias]
    statements = connection.ops.sequence_reset_sql(no_style(), order)
    if statements:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
