"""Papers stored before search read TeX markup are found by their readable words once
migrated (papers 0005 fills their search text, search 0007 rewrites their index rows),
and their vectors, made from the TeX, are kept but marked to be checked again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from paperwire.search.backends import search_backend
from paperwire.search.embeddings import DIM, MODEL_KEY, embedding_text, text_hash
from paperwire.search.query import parse_query

BEFORE = [("papers", "0004_hub_fields"), ("search", "0006_pg_embedding_written_directly")]
AFTER = [("papers", "0005_paper_search_text"), ("search", "0007_search_text")]

TEX_TITLE = 'A na\\"ive look at the Schr\\"odinger equation'
TEX_ABSTRACT = "Poincar\\'e maps, 91\\% of them \\textbf{fast}."


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _every_migration_applied_after() -> Any:
    """Going back to BEFORE unapplies what depends on it too (papers 0006 and whatever
    comes later), which AFTER does not bring back: the test database, which later tests
    share, is migrated to the latest again whatever happened."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )


def keyword_ids(raw: str) -> list[int]:
    search_backend().reset_caches()
    return search_backend().keyword_search(parse_query(raw))[0][0]


@pytest.mark.django_db(transaction=True)
def test_existing_papers_are_found_by_their_readable_words_after_migrating(
    caching_embedder: Any,
) -> None:
    old = migrate(BEFORE)
    paper_model, vector_model = (
        old.get_model("papers", "Paper"),
        old.get_model("search", "PaperVector"),
    )
    tex = paper_model.objects.create(
        public_id="2401.00001", title=TEX_TITLE, title_key="x", abstract=TEX_ABSTRACT
    )
    plain = paper_model.objects.create(
        public_id="2401.00002", title="Plain soup", title_key="y", abstract="Gazpacho, na\u00efve."
    )
    now = dt.datetime.now(dt.UTC)  # embedded after the papers were written
    for paper in (tex, plain):
        vector = np.ones(DIM, dtype="<f4") / np.sqrt(DIM)
        vector_model.objects.create(
            paper_id=paper.pk, model=MODEL_KEY, dim=DIM, vector=vector.tobytes(),
            text_hash=text_hash(embedding_text(paper.title, paper.abstract)), embedded_at=now,
        )  # fmt: skip
    assert tex.pk not in keyword_ids("naive")  # its words were "na" and "ive"
    assert keyword_ids("ive") == [tex.pk]

    migrate(AFTER)

    from paperwire.papers.models import Paper
    from paperwire.search.models import PaperVector
    from paperwire.search.vectors import RECHECK, _stale_ids, embed_missing

    migrated = Paper.objects.get(pk=tex.pk)
    assert migrated.title == TEX_TITLE  # the stored text is as it was
    assert migrated.search_title == "A naïve look at the Schrödinger equation"
    assert migrated.search_abstract == "Poincaré maps, 91% of them fast."
    assert Paper.objects.get(pk=plain.pk).search_title is None
    assert sorted(keyword_ids("naive")) == sorted([tex.pk, plain.pk])
    assert keyword_ids("Schrodinger") == [tex.pk]
    assert keyword_ids("poincare") == [tex.pk]
    assert keyword_ids("ive") == []
    # PostgreSQL's documents of papers with accents are folded too (no search text).
    assert keyword_ids("naïve gazpacho")[0] == plain.pk

    # The TeX paper's vector is kept (still searched) and checked again; the other's is not.
    assert PaperVector.objects.get(paper_id=tex.pk).text_hash == RECHECK
    assert _stale_ids() == [tex.pk]
    assert embed_missing(embedder=caching_embedder) == 1
    assert PaperVector.objects.get(paper_id=tex.pk).text_hash == text_hash(
        embedding_text(migrated.search_title, migrated.search_abstract)
    )
    assert _stale_ids() == []
