"""The chooser of search backends: one object per database connection.

`search_backend()` gives the engine, the embedding writer and the bulk index hook the
search backend of the connection's database (papers.backends chose that once for the
connection): sqlite/ (FTS5, in-process vector snapshot) or postgresql/ (tsvector,
pgvector). Nothing else in search asks which database it is on.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from paperwire.papers.backends import database
from paperwire.search.backends.base import SearchBackend, VectorRow
from paperwire.search.backends.postgresql import PostgresSearch
from paperwire.search.backends.sqlite import SQLiteSearch

__all__ = ["SearchBackend", "VectorRow", "all_backends", "search_backend"]

_CLASSES: dict[str, type[SearchBackend]] = {
    SQLiteSearch.name: SQLiteSearch,
    PostgresSearch.name: PostgresSearch,
}
_CHOSEN: WeakKeyDictionary[BaseDatabaseWrapper, SearchBackend] = WeakKeyDictionary()


def search_backend(conn: BaseDatabaseWrapper | str = DEFAULT_DB_ALIAS) -> SearchBackend:
    """The search backend of a connection (or alias): chosen once, then reused."""
    # By alias: `django.db.connection` is a proxy (not hashable), and the alias gives
    # this thread's own connection object.
    wrapper = connections[conn if isinstance(conn, str) else conn.alias]
    chosen = _CHOSEN.get(wrapper)
    if chosen is None:
        chosen = _CHOSEN[wrapper] = _CLASSES[database(wrapper).name](wrapper)
    return chosen


def all_backends() -> list[type[SearchBackend]]:
    """Every backend class (their process-wide caches are reset together)."""
    return list(_CLASSES.values())
