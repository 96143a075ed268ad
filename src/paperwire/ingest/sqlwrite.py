"""Plain multi-row INSERTs for the ingest hot path, where the ORM's per-object work
(model instances, per-field preparation) costs more than the database itself.

Columns come from the models, so a field added later is written with its default.
Works on SQLite and PostgreSQL: `%s` placeholders, ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import connection, models
from django.utils import timezone

from paperwire.ingest.sqltext import Ready, sqlite_datetime, sqlite_json
from paperwire.papers.backends import database
from paperwire.papers.models import Author, FeedEntry, Paper, PaperAuthor

Adapter = Callable[[Any], Any]


def stored_text_usable() -> bool:
    """True when this database stores the text of sqltext (sqltext.Ready values): SQLite
    running in UTC (settings.TIME_ZONE), as these fast paths assume."""
    return database(connection).writes_stored_text


def _adapter(field: models.Field[Any, Any]) -> Adapter:
    ops = connection.ops
    sqlite_utc = stored_text_usable()
    if isinstance(field, models.DateTimeField):
        return sqlite_datetime if sqlite_utc else ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField) and sqlite_utc and field.encoder is None:
        return sqlite_json
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField,
                          models.BooleanField, models.ForeignKey)):  # fmt: skip
        return _same
    return lambda value: field.get_db_prep_save(value, connection)


def _same(value: Any) -> Any:
    return value


def _columns(model: type[models.Model], *, pk: bool = False) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if pk or not f.primary_key]


def _insert(
    model: type[models.Model],
    given: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    ignore: bool = False,
    pk: bool = False,
) -> None:
    """INSERT rows holding the `given` columns (attnames); other columns get their defaults."""
    if not rows:
        return
    now = timezone.now()
    by_name = {f.attname: f for f in _columns(model, pk=pk)}
    # Columns in `given` order first (so a row needs no reordering), then the defaults.
    rest = [f for name, f in by_name.items() if name not in given]
    fields = [by_name[name] for name in given] + rest
    consts = tuple(
        _adapter(f)(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                    else f.get_default())
        for f in rest
    )  # fmt: skip
    convert = [
        (i, a) for i, f in enumerate(fields[: len(given)]) if (a := _adapter(f)) is not _same
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Table and column names come from the models, never from input.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    values: list[tuple[Any, ...]] = []
    for row in rows:
        if convert:
            items = list(row)
            for i, adapt in convert:
                items[i] = adapt(items[i])
            row = tuple(items)
        values.append(row + consts if consts else row)
    with connection.cursor() as cursor:
        database(connection).insert_rows(cursor, sql, marks, values)


class NewPaper(SimpleNamespace):
    """A paper about to be INSERTed: the model's fields with their defaults, without the
    cost of a model instance (the ingest creates thousands per second)."""

    @property
    def pk(self) -> Any:
        return self.id

    @pk.setter
    def pk(self, value: Any) -> None:
        self.id = value


_NEW_PAPER: dict[str, Any] = {}
_MUTABLE: list[str] = []


def new_paper() -> Any:
    if not _NEW_PAPER:
        for f in Paper._meta.concrete_fields:
            _NEW_PAPER[f.attname] = None if f.primary_key else f.get_default()
        _MUTABLE.extend(k for k, v in _NEW_PAPER.items() if isinstance(v, (list, dict)))
    paper = NewPaper(**_NEW_PAPER)
    # Mutable defaults (the JSON lists) must not be shared between papers.
    for name in _MUTABLE:
        setattr(paper, name, _NEW_PAPER[name].copy())
    return paper


def allocate_paper_ids(papers: list[Any]) -> bool:
    """Where the database lets the writer number new rows (SQLite, inside its write
    transaction), give new papers their ids before they are written, so their bylines
    can be written first (the foreign key is checked at commit) and the search index's
    insert trigger sees a paper's whole byline once, instead of being rewritten per
    author."""
    base = database(connection).preassign_ids(Paper._meta.db_table, len(papers))
    if base is None:
        return False
    for i, paper in enumerate(papers, start=1):
        paper.pk = base + i
    return True


def insert_papers(papers: list[Any], *, with_ids: bool = False) -> None:
    """INSERT new papers (all their fields) and set their primary keys."""
    if not papers:
        return
    given = [f.attname for f in _columns(Paper, pk=with_ids) if not getattr(f, "auto_now", False)
             and not getattr(f, "auto_now_add", False)]  # fmt: skip
    values = operator.attrgetter(*given)
    _insert(Paper, given, [values(p) for p in papers], pk=with_ids)
    if with_ids:
        return
    wanted = {p.public_id: p for p in papers}
    keys = list(wanted)
    for i in range(0, len(keys), 500):
        rows = Paper.objects.filter(public_id__in=keys[i : i + 500]).values_list("public_id", "pk")
        for public_id, pk in rows:
            wanted[public_id].pk = pk


def author_ids(names: list[str]) -> dict[str, int]:
    """{name: id} of the stored authors among `names`."""
    table = connection.ops.quote_name(Author._meta.db_table)
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT name, id FROM {table} WHERE name IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update(cursor.fetchall())
    return found


def insert_authors(names: list[str]) -> None:
    _insert(Author, ["name"], [(n,) for n in names], ignore=True)


def insert_paper_authors(rows: list[tuple[int, int, int, str]]) -> None:
    """Rows of (paper_id, author_id, position, affiliation)."""
    _insert(PaperAuthor, ["paper_id", "author_id", "position", "affiliation"], rows)


def insert_feed_entries(rows: list[tuple[int, dt.date, dt.datetime | Ready]]) -> None:
    """Rows of (paper_id, feed_date, submitted_at); papers already in the feed are skipped.
    submitted_at may be sqltext.Ready text where stored_text_usable()."""
    _insert(FeedEntry, ["paper_id", "feed_date", "submitted_at"], rows, ignore=True)
