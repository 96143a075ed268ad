"""The digest's "Picked for you" section: the period's papers ranked for every
subscriber who asked for it, all at once (digests.compose reaches this through the
PAPERWIRE_FOR_YOU_PICKS setting).

Each reader's model is trained as on /for-you; then one matrix product scores the
period's papers for all of them (recommend.model.score_readers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from paperwire.papers.models import FeedEntry
from paperwire.recommend import candidates
from paperwire.recommend.model import MIN_POSITIVES, score_readers
from paperwire.recommend.ranking import Learned, learn, positives_of

# Readers' models scored together: bounds the memory of one product (R x n floats).
BATCH = 2000


def picks_for_digest(
    subscriptions: Sequence[Any], entries: Sequence[FeedEntry], k: int
) -> dict[int, list[tuple[FeedEntry, str]]]:
    """{subscription pk: [(entry, why), …]} for subscribers with an account and enough
    positives; the others get no section (their digest has their topics and trending)."""
    if not entries:
        return {}
    window = candidates.WINDOWS.get(candidates.default_days())
    found, papers = candidates.features_of(window, [e.paper_id for e in entries])
    by_paper = {e.paper_id: e for e in entries}
    ordered = [by_paper[pk] for pk in found]
    dense = papers.dense()
    learned: list[tuple[int, Learned]] = []
    for sub in subscriptions:
        user = getattr(sub, "user", None)
        if user is None or not user.is_active:
            continue
        positives = positives_of(user)
        if len(positives) >= MIN_POSITIVES:
            learned.append((sub.pk, learn(user, window, positives)))
    out: dict[int, list[tuple[FeedEntry, str]]] = {}
    for lo in range(0, len(learned), BATCH):
        batch = learned[lo : lo + BATCH]
        weights = np.vstack([reader.model.stacked() for _, reader in batch])
        # A few more than k: a reader's own positives among them are dropped.
        best, _ = score_readers(weights, dense, k + 10)
        for (pk, reader), rows in zip(batch, best, strict=True):
            own = {p.paper_id for p in reader.positives}
            rows = np.array([r for r in rows.tolist() if ordered[r].paper_id not in own][:k])
            if not len(rows):
                continue
            reasons = reader.reasons(reader.likeness(papers, rows))
            out[pk] = [
                (ordered[r], why) for r, (why, _) in zip(rows.tolist(), reasons, strict=True)
            ]
    return out
