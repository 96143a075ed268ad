"""The papers "For you" ranks, and their features: the feed entries of the last N feed
days (PAPERWIRE_FOR_YOU_DAYS, 7 by default).

Each process keeps the window's features in memory (about 1.5 MB per thousand papers)
and rebuilds them when the window changes: a new feed day, a paper added, edited or
hidden, a vector embedded. It asks at most every RECHECK_SECONDS (one aggregate query),
so two processes may disagree about the window for that long, never about a reader's
positives, which are read on every request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from paperwire.papers.models import FeedEntry, Paper
from paperwire.recommend import text
from paperwire.recommend.model import PaperFeatures
from paperwire.search.embeddings import DIM, MODEL_KEY
from paperwire.search.models import PaperVector

RECHECK_SECONDS = 2.0
MAX_DAYS = 31


def default_days() -> int:
    return int(getattr(settings, "PAPERWIRE_FOR_YOU_DAYS", 7))


def window_start(days: int) -> dt.date | None:
    """The first of the last `days` feed days (days that have papers), or None."""
    dates = (
        FeedEntry.objects.order_by("-feed_date")
        .values_list("feed_date", flat=True)
        .distinct()[:days]
    )
    found = list(dates)
    return found[-1] if found else None


@dataclass
class Window:
    days: int
    start: dt.date | None
    stamp: tuple[object, ...]
    ids: np.ndarray  # paper ids, ascending: row i is paper ids[i]
    row_of: dict[int, int]
    features: PaperFeatures
    embedding_mean: np.ndarray
    idf: np.ndarray
    # The raw (uncentered) vectors by paper id: a reader's positives in the window are
    # featured from these and the term cache, without asking the database.
    vectors: dict[int, np.ndarray]

    def rows(self, paper_ids: Iterable[int]) -> np.ndarray:
        return np.array([self.row_of[p] for p in paper_ids if p in self.row_of], dtype=np.int64)


class _TermCache:
    """Each paper's hashed words, kept while the paper is a candidate or a positive:
    rebuilding a window re-reads only new or edited papers' text."""

    def __init__(self) -> None:
        self._terms: dict[int, tuple[int, text.TermCounts]] = {}
        self._lock = threading.Lock()

    def get(self, papers: Iterable[tuple[int, str, str]]) -> dict[int, text.TermCounts]:
        out: dict[int, text.TermCounts] = {}
        for pk, title, abstract in papers:
            body = f"{title}\n{abstract}"
            key = hash(body)
            hit = self._terms.get(pk)
            if hit is None or hit[0] != key:
                hit = (key, text.term_counts(body))
                with self._lock:
                    self._terms[pk] = hit
            out[pk] = hit[1]
        return out

    def known(self, paper_ids: list[int]) -> dict[int, text.TermCounts]:
        """The cached words of these papers (those the cache holds)."""
        return {pk: self._terms[pk][1] for pk in paper_ids if pk in self._terms}

    def keep_only(self, keep: set[int]) -> None:
        with self._lock:
            for pk in [pk for pk in self._terms if pk not in keep]:
                del self._terms[pk]


TERMS = _TermCache()


def _window_entries(start: dt.date | None) -> object:
    entries = FeedEntry.objects.filter(paper__hidden=False)
    return entries.filter(feed_date__gte=start) if start is not None else entries.none()


def _stamp(days: int) -> tuple[object, ...]:
    start = window_start(days)
    summary = _window_entries(start).aggregate(  # type: ignore[attr-defined]
        n=Count("pk"),
        last=Max("pk"),
        edited=Max("paper__modified"),
        embedded=Max("paper__search_vector__embedded_at"),
    )
    return (start, summary["n"], summary["last"], summary["edited"], summary["embedded"])


def vectors_of(paper_ids: list[int]) -> dict[int, np.ndarray]:
    """The stored embeddings of these papers (the current model's), by paper id."""
    out: dict[int, np.ndarray] = {}
    for lo in range(0, len(paper_ids), 900):
        rows = PaperVector.objects.filter(
            paper_id__in=paper_ids[lo : lo + 900], model=MODEL_KEY, dim=DIM
        ).values_list("paper_id", "vector")
        for pk, blob in rows:
            out[pk] = np.frombuffer(bytes(blob), dtype="<f4")
    return out


def _build(days: int, stamp: tuple[object, ...]) -> Window:
    start = stamp[0]
    assert start is None or isinstance(start, dt.date)
    rows = list(
        _window_entries(start)  # type: ignore[attr-defined]
        .order_by("paper_id")
        .values_list("paper_id", "paper__title", "paper__abstract")
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    vectors: dict[int, np.ndarray] = {}
    if start is not None:
        pairs = PaperVector.objects.filter(
            paper__feed_entry__feed_date__gte=start, model=MODEL_KEY, dim=DIM
        ).values_list("paper_id", "vector")
        vectors = {pk: np.frombuffer(bytes(blob), dtype="<f4") for pk, blob in pairs}
    embedding = np.zeros((len(ids), DIM), dtype=np.float32)
    has = np.zeros(len(ids), dtype=bool)
    for i, pk in enumerate(ids.tolist()):
        vec = vectors.get(pk)
        if vec is not None:
            embedding[i], has[i] = vec, True
    terms = TERMS.get(rows)
    counts = text.stack([terms[pk] for pk in ids.tolist()])
    idf = text.idf_of(counts)
    tfidf = text.tfidf(counts, idf)
    embedding_mean = embedding[has].mean(axis=0) if has.any() else np.zeros(DIM, np.float32)
    text_mean = tfidf.mean(np.arange(len(ids))) if len(ids) else np.zeros(text.BUCKETS, np.float32)
    features = PaperFeatures.build(embedding, has, tfidf, embedding_mean, text_mean)
    return Window(
        days=days,
        start=start,
        stamp=stamp,
        ids=ids,
        row_of={pk: i for i, pk in enumerate(ids.tolist())},
        features=features,
        embedding_mean=embedding_mean,
        idf=idf,
        vectors=vectors,
    )


class _Windows:
    def __init__(self) -> None:
        self._windows: dict[int, tuple[float, Window]] = {}
        self._lock = threading.Lock()

    def get(self, days: int) -> Window:
        days = max(1, min(MAX_DAYS, days))
        now = time.monotonic()
        held = self._windows.get(days)
        if held is not None and now - held[0] < RECHECK_SECONDS:
            return held[1]
        stamp = _stamp(days)
        if held is not None and held[1].stamp == stamp:
            self._windows[days] = (now, held[1])
            return held[1]
        with self._lock:
            window = _build(days, stamp)
            # At most a few window lengths are kept: the default and recent ?days= ones.
            if len(self._windows) >= 3:
                self._windows.pop(next(iter(self._windows)))
            self._windows[days] = (now, window)
            TERMS.keep_only({pk for _, w in self._windows.values() for pk in w.row_of})
            OUTSIDE.clear()
        return window

    def reset(self) -> None:
        self._windows.clear()


WINDOWS = _Windows()


class _OutsideCache:
    """Vectors and words of positives outside the window (older papers a reader liked),
    kept until the window is rebuilt: most requests then ask the database nothing about
    the positives but which they are."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self._papers: dict[int, tuple[np.ndarray | None, text.TermCounts]] = {}

    def get(self, paper_ids: list[int]) -> dict[int, tuple[np.ndarray | None, text.TermCounts]]:
        missing = [pk for pk in paper_ids if pk not in self._papers]
        if missing:
            rows = list(Paper.objects.filter(pk__in=missing).values_list("pk", "title", "abstract"))
            terms = TERMS.get(rows)
            vectors = vectors_of([r[0] for r in rows])
            if len(self._papers) + len(rows) > self.LIMIT:
                self._papers.clear()
            for pk, _, _ in rows:
                self._papers[pk] = (vectors.get(pk), terms[pk])
        return {pk: self._papers[pk] for pk in paper_ids if pk in self._papers}

    def clear(self) -> None:
        self._papers.clear()


OUTSIDE = _OutsideCache()


def features_of(window: Window, paper_ids: list[int]) -> tuple[list[int], PaperFeatures]:
    """Features of any papers (a reader's positives, in or out of the window), centered
    and weighted like the window's: (the ids found, in the given order; their features).
    Papers of the window come from memory; others from OUTSIDE."""
    inside = [pk for pk in paper_ids if pk in window.row_of]
    terms = TERMS.known(inside)
    outside = OUTSIDE.get([pk for pk in paper_ids if pk not in window.row_of or pk not in terms])
    found: list[int] = []
    vectors: list[np.ndarray | None] = []
    counts: list[text.TermCounts] = []
    for pk in paper_ids:
        if pk in terms:
            found.append(pk)
            vectors.append(window.vectors.get(pk))
            counts.append(terms[pk])
        elif pk in outside:
            found.append(pk)
            vectors.append(outside[pk][0])
            counts.append(outside[pk][1])
    embedding = np.zeros((len(found), DIM), dtype=np.float32)
    has = np.zeros(len(found), dtype=bool)
    for i, vec in enumerate(vectors):
        if vec is not None:
            embedding[i], has[i] = vec, True
    tfidf = text.tfidf(text.stack(counts), window.idf)
    features = PaperFeatures.build(
        embedding, has, tfidf, window.embedding_mean, window.features.text_mean
    )
    return found, features
