"""Secondary indexes (the search app's keyword index) normally follow every write to the
papers tables by themselves (database triggers). A bulk writer that inserts thousands of
new papers a second can take that work over for the rows it inserts: inside
`deferred_indexing()` the registered indexes stop following inserts, and the writer hands
them each new paper's text once, in one batch.

The papers app defines the hook and knows no index: apps below it register theirs in
their AppConfig.ready(), so the layering (papers at the bottom) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.db import transaction


class NewPaperText(NamedTuple):
    """What an index needs of a newly inserted paper: its title and abstract as search
    reads them (Paper.searched_title / searched_abstract: the readable text); authors in
    byline order."""

    pk: int
    title: str
    abstract: str
    authors: list[str]


class BulkIndex(Protocol):
    def suspend(self) -> bool:
        """Stop following inserts in the current transaction; False when not supported
        here (then nothing changes and the triggers do the work)."""

    def add(self, papers: list[NewPaperText]) -> None:
        """Index papers inserted while suspended."""

    def resume(self) -> None:
        """Follow writes again (still inside the same transaction)."""


_INDEXES: list[BulkIndex] = []


def register(index: BulkIndex) -> None:
    if index not in _INDEXES:
        _INDEXES.append(index)


@dataclass
class Pending:
    papers: list[NewPaperText] = field(default_factory=list)


@contextmanager
def deferred_indexing() -> Iterator[Pending]:
    """Run inserts of new papers with the indexes suspended; add the papers to `Pending`.
    Must run inside a transaction. An error marks that transaction for rollback (no
    savepoint of its own: one costs more than a tenth of the inserts it would cover), so
    the suspension is undone with it and no other writer ever sees an index that does
    not follow."""
    pending = Pending()
    with transaction.atomic(savepoint=False):
        active = [index for index in _INDEXES if index.suspend()]
        yield pending
        for index in active:
            index.add(pending.papers)
            index.resume()
