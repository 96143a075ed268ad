"""Bounding an OR query over a large keyword index, the same way on every backend.

BM25 (or ts_rank) must score every paper matching any word, so common words make a
query over a million papers slow while adding almost nothing to the ranking (their IDF
is near zero); the dense ranker still reads the whole query. Each backend measures its
own index (`IndexStats`: its size, and how many papers hold a word) and ranks the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from paperwire.search.query import STOPWORDS, ParsedQuery

# The most keyword matches one query ranks (the page only ever shows a few).
MAX_MATCHES = 1000
# A word in more papers than this is "common" in a large index (see plan_or_query).
COMMON_DOCS = 5000
# The ranker scores at most about this many matches per query in a large index: scoring
# reads every match's positions, a few microseconds each.
SCORE_BUDGET = 1000
# Papers (newest first) an AND of common words reads, and how many words it requires.
RECENT_WINDOW = 20_000
REQUIRED_MAX = 3
# A word's count moves slowly, so a process trusts a probe for COMMON_TTL seconds; a
# stale count only changes which words the keyword query keeps, never correctness.
COMMON_TTL = 600.0
COMMON_CACHE_MAX = 50_000
# A word's paper count is estimated from this many of the newest papers.
PROBE_WINDOW = 50_000
# How long a process trusts the index size (the highest paper id in the index).
SIZE_TTL = 60.0
# A query with at least this many words (stop words left out) is a sentence: a claim, a
# question, a description; shorter ones are mostly a few words of a title. Fusion leans
# on meaning more for the long ones (engine.DEFAULT_FUSION, docs/search.md).
LONG_QUERY_TERMS = 8


def query_terms(q: ParsedQuery) -> list[str]:
    """The query's distinct words, lower-cased, stop words left out."""
    return [t for t in dict.fromkeys(t.lower() for t in q.terms) if t not in STOPWORDS]


class IndexStats:
    """One keyword index's size and its words' paper counts, probed and cached per process.

    `newest(conn)` is the highest paper id in the index; `probe(conn, term, low, cap)`
    counts, up to `cap`, the papers above id `low` that hold the word. Shared by the
    process's connections: the counts are the database's, not a connection's.
    """

    def __init__(
        self, newest: Callable[[Any], int], probe: Callable[[Any, str, int, int], int]
    ) -> None:
        self._newest = newest
        self._probe = probe
        self._size = (0, -1e9)
        # term -> (papers holding it, capped at COMMON_DOCS; when probed)
        self._docs: dict[str, tuple[int, float]] = {}

    def reset(self) -> None:
        self._size = (0, -1e9)
        self._docs.clear()

    def size(self, conn: Any) -> int:
        now = time.monotonic()
        if now - self._size[1] > SIZE_TTL:
            self._size = (self._newest(conn), now)
        return self._size[0]

    def doc_count(self, conn: Any, term: str) -> int:
        """About how many papers hold the word, up to COMMON_DOCS: counted among the
        newest PROBE_WINDOW papers and scaled to the whole index, so a probe reads at
        most about COMMON_DOCS x PROBE_WINDOW / size row ids."""
        now = time.monotonic()
        hit = self._docs.get(term)
        if hit is not None and now - hit[1] < COMMON_TTL:
            return hit[0]
        size = max(self.size(conn), 1)
        window = min(size, PROBE_WINDOW)
        cap = -(-COMMON_DOCS * window // size)  # ceil
        seen = self._probe(conn, term, size - window, cap)
        n = COMMON_DOCS if seen >= cap else min(COMMON_DOCS - 1, seen * size // window)
        if len(self._docs) >= COMMON_CACHE_MAX:
            self._docs.clear()
        self._docs[term] = (n, now)
        return n


def plan_or_query(
    q: ParsedQuery, stats: IndexStats, conn: Any
) -> tuple[ParsedQuery, str, int | None]:
    """(query, "or"/"and", lowest paper id to read or None) for an OR query.

    In an index of more than 4 x COMMON_DOCS papers:
    - words in more than COMMON_DOCS papers are dropped when rarer words remain;
    - when every word is that common, the REQUIRED_MAX longest are required, among
      the newest RECENT_WINDOW papers (the backends rank those without BM25);
    - when the words kept still match more than SCORE_BUDGET papers, only the
      newest papers are read: an id window holding about SCORE_BUDGET matches.
    Small indexes are left alone.
    """
    terms = query_terms(q)
    size = stats.size(conn)
    if not terms or size <= 4 * COMMON_DOCS:
        return q, "or", None
    docs = {t: stats.doc_count(conn, t) for t in terms}
    rare = [t for t in terms if docs[t] < COMMON_DOCS]
    if rare:
        expected = sum(docs[t] for t in rare)
        if len(rare) < len(terms):
            q = replace(q, terms=rare)
    elif q.phrases:
        return q, "and", None
    else:
        # Every word common: their doclists are long, and intersecting them costs
        # about as much per word as the whole window: the REQUIRED_MAX longest words
        # (the likeliest to be rare) are required, among the newest RECENT_WINDOW papers.
        longest = sorted(terms, key=lambda t: -len(t))[:REQUIRED_MAX]
        return (
            replace(q, terms=[t for t in terms if t in longest]),
            "and",
            max(0, size - RECENT_WINDOW),
        )
    if q.phrases or expected <= SCORE_BUDGET:
        return q, "or", None
    window = max(SCORE_BUDGET, int(size * SCORE_BUDGET / expected))
    return q, "or", size - window
