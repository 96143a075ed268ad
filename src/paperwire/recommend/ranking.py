""" "For you": a reader's ranking of the window's papers, and why each paper is there.

With at least MIN_POSITIVES positives (upvotes, saves, papers in their collections) the
reader's model ranks (recommend.model); before that, the topics they chose for their
digest (categories, authors, organizations, saved searches), then trending. The model is
trained on every request from the positives as they are then, so an upvote or a save
changes the very next ranking; nothing about the reader is stored but what they did.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth.models import User
from django.db.models import Q, Value

from paperwire.community.models import CollectionItem, Save, Upvote
from paperwire.digests.compose import topic_filter
from paperwire.digests.models import Subscription, subscription_email
from paperwire.papers import feed
from paperwire.papers.models import FeedEntry, Paper
from paperwire.papers.tex import readable
from paperwire.recommend import candidates
from paperwire.recommend.model import (
    MIN_POSITIVES,
    NEGATIVE_WEIGHT,
    PaperFeatures,
    ReaderModel,
    sample_negatives,
    top,
    train,
)

# The newest positives a model learns from: interests drift, and it bounds the work.
MAX_POSITIVES = 200
MAX_LIMIT = 100
TOPIC_KINDS = ("categories", "authors", "organizations", "keywords")

# How each kind of positive is said in a reason, most telling first.
_DID = {"save": "saved", "collection": "collected", "upvote": "upvoted"}


@dataclass
class Positive:
    paper_id: int
    public_id: str
    title: str
    kinds: set[str]
    when: dt.datetime
    weight: float = 1.0

    @property
    def verb(self) -> str:
        return next(_DID[k] for k in _DID if k in self.kinds)


@dataclass
class Pick:
    paper_id: int
    score: float
    reason: str
    # The positive the paper is like, or the topic it matches: what the reason links to.
    like: Positive | None = None
    topic: tuple[str, str] | None = None


@dataclass
class ForYou:
    mode: str  # "model", "topics" or "trending"
    picks: list[Pick]
    positives: int
    days: int
    start: dt.date | None
    topics: dict[str, list[str]] = field(default_factory=dict)


def positives_of(user: User, limit: int = MAX_POSITIVES) -> list[Positive]:
    """The reader's upvotes, saves and collected papers, newest first, one per paper: one
    query (a UNION), the papers' titles left for the reasons shown (named_positives)."""
    kinds = [
        Upvote.objects.filter(user=user)
        .values_list("paper_id", "created")
        .annotate(kind=Value("upvote")),
        Save.objects.filter(user=user)
        .values_list("paper_id", "created")
        .annotate(kind=Value("save")),
        CollectionItem.objects.filter(collection__owner=user)
        .values_list("paper_id", "added")
        .annotate(kind=Value("collection")),
    ]
    # A compound statement takes no ORDER BY in its parts (CollectionItem has one).
    kinds = [part.order_by() for part in kinds]
    union = kinds[0].union(*kinds[1:], all=True).order_by("-created")[: 3 * limit]
    found: dict[int, Positive] = {}
    for pk, when, kind in union:
        seen = found.get(pk)
        if seen is None:
            found[pk] = Positive(pk, "", "", {kind}, when)
        else:
            seen.kinds.add(kind)
    return list(found.values())[:limit]


def named(positives: list[Positive]) -> list[Positive]:
    """The positives whose papers are visible, with their titles and public ids (one
    query, for the few that reasons name)."""
    rows = Paper.objects.filter(pk__in=[p.paper_id for p in positives], hidden=False)
    titles = {
        pk: (public, title) for pk, public, title in rows.values_list("pk", "public_id", "title")
    }
    shown = []
    for positive in positives:
        if positive.paper_id in titles:
            public_id, title = titles[positive.paper_id]
            # Named in a sentence a person reads (a card, a feed, a mail): readable text.
            positive.public_id, positive.title = public_id, readable(title)
            shown.append(positive)
    return shown


def subscription_of(user: User) -> Subscription | None:
    email = subscription_email(user.email)
    match = Q(user=user) | Q(email=email) if email else Q(user=user)
    return (
        Subscription.objects.filter(match)
        .exclude(status=Subscription.UNSUBSCRIBED)
        .order_by("-pk")
        .first()
    )


def chosen_topics(user: User) -> dict[str, list[str]]:
    sub = subscription_of(user)
    if sub is None:
        return {}
    return {kind: sub.topic_list(kind) for kind in TOPIC_KINDS if sub.topic_list(kind)}


def for_you(user: User, limit: int = 20, days: int | None = None) -> ForYou:
    """The reader's best `limit` papers of the last `days` feed days."""
    days = days or candidates.default_days()
    limit = max(1, min(MAX_LIMIT, limit))
    window = candidates.WINDOWS.get(days)
    positives = positives_of(user)
    if len(positives) >= MIN_POSITIVES:
        picks = _model_picks(user, window, positives, limit)
        return ForYou("model", picks, len(positives), days, window.start)
    topics = chosen_topics(user)
    picks, mode = _cold_start(window, topics, {p.paper_id for p in positives}, limit)
    return ForYou(mode, picks, len(positives), days, window.start, topics)


def _seed(user: User, positives: list[Positive]) -> int:
    """The negatives' seed: the same for the same reader and positives."""
    key = f"{user.pk}:" + ",".join(str(p.paper_id) for p in positives)
    return zlib.crc32(key.encode())


@dataclass
class Learned:
    """A reader's model, with the positives it learned from (in feature row order)."""

    model: ReaderModel
    positives: list[Positive]
    features: PaperFeatures
    own_rows: np.ndarray  # the positives' rows in the window, never recommended back

    def likeness(self, papers: PaperFeatures, rows: np.ndarray) -> np.ndarray:
        """How alike each of some papers and each positive are, by the model's own
        features and shares: (len(rows) x positives)."""
        share = self.model.text_share
        mine = self.features.dense_text(np.arange(self.features.size))
        return (1 - share) * (papers.embedding[rows] @ self.features.embedding.T) + share * (
            papers.dense_text(rows) @ mine.T
        )

    def reasons(self, likeness: np.ndarray) -> list[tuple[str, Positive | None]]:
        """For each row of likeness: "like “Title” you saved", naming the most alike
        positive that is still visible."""
        order = np.argsort(-likeness, axis=1)
        wanted = {int(j) for j in order[:, :3].ravel()}
        visible = {p.paper_id for p in named([self.positives[j] for j in wanted])}
        out: list[tuple[str, Positive | None]] = []
        for ranked in order:
            like = next(
                (self.positives[j] for j in ranked[:3] if self.positives[j].paper_id in visible),
                None,
            )
            if like is None:
                out.append(("like papers you upvoted and saved", None))
            else:
                out.append((f"like “{like.title}” you {like.verb}", like))
        return out


def learn(user: User, window: candidates.Window, positives: list[Positive]) -> Learned:
    """Train the reader's model on their positives against negatives sampled from the
    window (recommend.model.train)."""
    found, features = candidates.features_of(window, [p.paper_id for p in positives])
    by_id = {p.paper_id: p for p in positives}
    ordered = [by_id[pk] for pk in found]
    weights = np.array([p.weight for p in ordered], dtype=np.float64)
    own_rows = window.rows(by_id)
    negatives = np.zeros(0, dtype=np.int64)
    if NEGATIVE_WEIGHT:
        seed = _seed(user, positives)
        negatives = sample_negatives(window.features.size, set(own_rows.tolist()), seed)
    model = train(features, weights, window.features, negatives)
    return Learned(model, ordered, features, own_rows)


def _model_picks(
    user: User, window: candidates.Window, positives: list[Positive], limit: int
) -> list[Pick]:
    learned = learn(user, window, positives)
    rows, scores = top(learned.model.scores(window.features), limit, exclude=learned.own_rows)
    if not len(rows):
        return []
    likeness = learned.likeness(window.features, rows)
    return [
        Pick(int(window.ids[row]), float(score), reason, like=like)
        for row, score, (reason, like) in zip(
            rows.tolist(), scores.tolist(), learned.reasons(likeness), strict=True
        )
    ]


def _topic_ids(window: candidates.Window, kind: str, value: str) -> set[int]:
    """Papers of the window that match one chosen topic (the digest's own matching)."""
    q = topic_filter(Subscription(topics={kind: [value]}))
    if q is None or window.start is None:
        return set()
    entries = FeedEntry.objects.filter(feed_date__gte=window.start, paper__hidden=False)
    return set(entries.filter(q).values_list("paper_id", flat=True))


_TOPIC_SAID = {
    "categories": "in {}, a category you follow",
    "authors": "by {}, an author you follow",
    "organizations": "from {}, an organization you follow",
    "keywords": "matches your saved search “{}”",
}


def _cold_start(
    window: candidates.Window, topics: dict[str, list[str]], own: set[int], limit: int
) -> tuple[list[Pick], str]:
    """Papers matching the reader's topics, then the rest, both in trending order."""
    matched: dict[int, tuple[str, str]] = {}
    for kind in TOPIC_KINDS:
        for value in topics.get(kind, []):
            for pk in _topic_ids(window, kind, value):
                matched.setdefault(pk, (kind, value))
    trending: list[int] = []
    if window.start is not None:
        entries = feed.entries(None, "trending").filter(feed_date__gte=window.start)
        trending = list(entries.values_list("paper_id", flat=True)[: 10 * limit + len(own)])
        rest = set(matched) - set(trending)
        trending += sorted(rest)  # matches too old to trend still come first below
    order = [pk for pk in trending if pk in matched] + [pk for pk in trending if pk not in matched]
    picks = []
    for rank, pk in enumerate(pk for pk in order if pk not in own):
        if rank >= limit:
            break
        topic = matched.get(pk)
        if topic is not None:
            reason = _TOPIC_SAID[topic[0]].format(topic[1])
        else:
            reason = "trending this week" if window.days == 7 else "trending"
        picks.append(Pick(pk, float(-rank), reason, topic=topic))
    return picks, ("topics" if matched else "trending")
