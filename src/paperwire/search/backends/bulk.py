"""papers.indexing's hook, served by the search backend of the writer's connection: a
bulk insert of new papers writes their keyword index rows in one statement instead of
through the per-row triggers (which rebuild a paper's byline with a join for every
paper, and again for every author row)."""

from __future__ import annotations

from paperwire.papers.indexing import NewPaperText
from paperwire.search.backends import search_backend


class BackendBulkIndex:
    """The keyword index of whichever database the default connection is."""

    def suspend(self) -> bool:
        return search_backend().suspend_indexing()

    def add(self, papers: list[NewPaperText]) -> None:
        search_backend().index_papers(papers)

    def resume(self) -> None:
        search_backend().resume_indexing()
