"""Stored paper vectors: computing the missing ones (`paperwire embed`, the worker).

Where they are written and searched is the database backend's (search/backends/).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from paperwire.papers.models import Paper
from paperwire.papers.store import bump_data_version
from paperwire.search import snapshot
from paperwire.search.backends import search_backend
from paperwire.search.embeddings import (
    BATCH_TEXTS,
    DIM,
    MODEL_KEY,
    Embedder,
    EmbedderPool,
    EmbeddingUnavailable,
    embedding_text,
    get_embedder,
    text_hash,
)
from paperwire.search.models import PaperVector


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_blob(blob: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<f4")


# The text hash of a vector whose paper's text is to be checked again (search 0007: the
# text is now read without its TeX markup). It is still searched meanwhile.
RECHECK = "recheck"


def _stale_ids() -> list[int]:
    # Written as SQL: "vector older than the paper" compares two tables' columns.
    sql = """
        SELECT p.id FROM papers_paper p
        LEFT JOIN search_papervector v ON v.paper_id = p.id
        WHERE v.paper_id IS NULL OR v.model != %s OR p.modified > v.embedded_at
            OR v.text_hash = %s
        ORDER BY p.id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [MODEL_KEY, RECHECK])
        return [row[0] for row in cur.fetchall()]


def count_missing() -> int:
    return len(_stale_ids())


def embed_missing(
    batch_size: int = 64,
    embedder: Embedder | EmbedderPool | None = None,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
    snapshot_progress: snapshot.BuildProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Embed every paper without a current vector; returns how many were (re)embedded.
    `should_stop`, asked before each batch, ends the run early (a worker asked to stop).

    Resumable: each batch is committed on its own, so an interrupted run loses at
    most one batch, and the next run starts with what is still missing. A paper
    whose title and abstract did not change keeps its vector (only its stamp moves).
    Called by `paperwire embed` and by the worker after papers are stored.
    """
    ids = _stale_ids()
    if limit is not None:
        ids = ids[:limit]
    if not ids:
        return 0
    model = embedder or get_embedder()
    done = 0
    stopped = False
    for start in range(0, len(ids), batch_size):
        if should_stop is not None and should_stop():
            stopped = True
            break
        chunk = ids[start : start + batch_size]
        papers = list(
            Paper.objects.filter(pk__in=chunk).only(
                "pk", "title", "abstract", "search_title", "search_abstract"
            )
        )
        existing = {
            v.paper_id: v for v in PaperVector.objects.filter(paper_id__in=chunk, model=MODEL_KEY)
        }
        # The text search reads (TeX markup read: papers/tex.py), as the keyword index.
        texts = {p.pk: embedding_text(p.searched_title, p.searched_abstract) for p in papers}
        todo = [
            p
            for p in papers
            if existing.get(p.pk) is None or existing[p.pk].text_hash != text_hash(texts[p.pk])
        ]
        vecs = model.encode([texts[p.pk] for p in todo], batch_size=BATCH_TEXTS) if todo else None
        with transaction.atomic():
            # Stamped inside the (IMMEDIATE, so write-locked) transaction: batches that
            # commit later carry later stamps, which the snapshot's delta relies on.
            now = timezone.now()
            rows = [
                (p.pk, MODEL_KEY, DIM, to_blob(vecs[i]), text_hash(texts[p.pk]), now)
                for i, p in enumerate(todo)
                if vecs is not None
            ]
            search_backend().store_vectors(rows)
            unchanged = [p.pk for p in papers if p not in todo]
            PaperVector.objects.filter(paper_id__in=unchanged).update(embedded_at=now)
        done += len(papers)
        if progress:
            progress(len(papers), len(ids))
    # Paper pages show related papers, which new vectors change: renew cached pages.
    bump_data_version()
    if not stopped and (limit is None or done < limit):
        # Caught up: e.g. fold what was embedded into SQLite's shared snapshot.
        search_backend().vectors_caught_up(snapshot_progress)
    return done


def query_vector(text: str) -> np.ndarray | None:
    """The query's embedding, or None when the model cannot run here."""
    try:
        return get_embedder().encode_query(text)
    except EmbeddingUnavailable:
        return None
