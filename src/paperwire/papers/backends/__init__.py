"""The chooser: one backend object per database connection, like Django's `connection.ops`.

Where paperwire works differently on SQLite and on PostgreSQL (bulk writes, operator
checks, copies between databases; search adds its own part in search/backends/), the
caller asks `database(connection)` and calls the object it gets, instead of testing the
vendor at every call site. This module is the one place outside migrations that looks
at `connection.vendor`; a third database means one module more here.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from paperwire.papers.backends.base import DatabaseBackend, HealthReport
from paperwire.papers.backends.postgresql import PostgresBackend
from paperwire.papers.backends.sqlite import SQLiteBackend

__all__ = ["DatabaseBackend", "HealthReport", "database"]

_CLASSES: dict[str, type[DatabaseBackend]] = {
    SQLiteBackend.name: SQLiteBackend,
    PostgresBackend.name: PostgresBackend,
}
# Chosen once per connection object (each thread has its own; tests that repoint the
# default alias get a new one, and with it a new choice).
_CHOSEN: WeakKeyDictionary[BaseDatabaseWrapper, DatabaseBackend] = WeakKeyDictionary()


def database(conn: BaseDatabaseWrapper | str = DEFAULT_DB_ALIAS) -> DatabaseBackend:
    """The backend object of a connection (or of a connection alias)."""
    # By alias: `django.db.connection` is a proxy (not hashable), and the alias gives
    # this thread's own connection object.
    wrapper = connections[conn if isinstance(conn, str) else conn.alias]
    chosen = _CHOSEN.get(wrapper)
    if chosen is None:
        cls = _CLASSES.get(wrapper.vendor)
        if cls is None:
            raise NotImplementedError(f"paperwire does not support {wrapper.vendor} databases")
        chosen = _CHOSEN[wrapper] = cls(wrapper)
    return chosen
