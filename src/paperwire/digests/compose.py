"""Composing a subscriber's digest: the period's trending papers plus their topic matches,
rendered as plain text and HTML (inline styles, readable with images off)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string

from paperwire.digests.models import DigestMessage, Subscription
from paperwire.digests.tokens import make_token
from paperwire.mail.links import one_click_unsubscribe
from paperwire.papers import feed
from paperwire.papers.models import FeedEntry
from paperwire.search.engine import search

TRENDING_COUNT = 10
MATCH_COUNT = 20
# Topics of each kind that count: the subscribe and manage forms' limit (MAX_TOPICS in
# views.py). More can only come from the admin's JSON field, and every topic is a term
# of one WHERE clause: 800 of them passed SQLite's expression depth limit (1000).
TOPICS_PER_KIND = 20
FOR_YOU_COUNT = 5


@dataclass
class Digest:
    subject: str
    text: str
    html: str
    paper_ids: list[str]


def site_url(path: str) -> str:
    return settings.SITE_URL + path


SearchIds = Callable[[str], set[int]]


def keyword_search_ids(query: str) -> set[int]:
    """Ids of the papers a saved search finds: the search engine's keyword ranking, with
    its query language (phrases, -exclusions, author:, cat:, …), best MAX_MATCHES."""
    return set(search(query, semantic=False).ids)


def topic_filter(
    subscription: Subscription, search_ids: SearchIds = keyword_search_ids
) -> Q | None:
    """Entries matching any of the subscriber's topics; None when they chose none.

    Keywords are saved searches run through the search engine; categories, authors and
    organizations are matched exactly in the database."""

    def topics(kind: str) -> list[str]:
        return subscription.topic_list(kind)[:TOPICS_PER_KIND]

    q = Q()
    for query in topics("keywords"):
        q |= Q(paper_id__in=search_ids(query))
    for cat in topics("categories"):
        q |= Q(paper__primary_category=cat) | Q(paper__categories__icontains=f'"{cat}"')
    for name in topics("authors"):
        q |= Q(paper__paper_authors__author__name__iexact=name)
    for org in topics("organizations"):
        q |= Q(paper__organization__name__iexact=org)
    return q if q.children else None


class PeriodPapers:
    """The papers of one period, loaded once for all subscribers."""

    def __init__(self, period: feed.FeedPeriod) -> None:
        self.period = period
        self.entries: QuerySet[FeedEntry] = feed.entries(period)
        self.trending = list(self.entries[:TRENDING_COUNT])
        # The same for every subscriber: rendered once per period, not once per mail.
        items = [_item(e) for e in self.trending]
        self.trending_ids = [i["id"] for i in items]
        self.trending_text = render_to_string("digests/email/_items.txt", {"items": items})
        self.trending_html = render_to_string("digests/email/_items.html", {"items": items})
        # Many subscribers save the same searches: each is run once per period.
        self._searches: dict[str, set[int]] = {}
        # "Picked for you", by subscription: filled for all of them at once.
        self.for_you: dict[int, list[tuple[FeedEntry, str]]] = {}

    def prepare_for_you(self, subscriptions: list[Subscription]) -> None:
        """Rank the period's papers for every subscriber who asked for "For you", in one
        batch. The ranking is recommend's, a layer above, named by a setting."""
        wanted = [s for s in subscriptions if s.for_you and s.user_id]
        path = getattr(settings, "PAPERWIRE_FOR_YOU_PICKS", "")
        if not wanted or not path or not getattr(settings, "PAPERWIRE_FOR_YOU", True):
            return
        picker = import_string(path)
        self.for_you.update(picker(wanted, list(self.entries), FOR_YOU_COUNT))

    def search_ids(self, query: str) -> set[int]:
        if query not in self._searches:
            self._searches[query] = keyword_search_ids(query)
        return self._searches[query]

    def matches(self, subscription: Subscription) -> list[FeedEntry]:
        q = topic_filter(subscription, self.search_ids)
        if q is None:
            return []
        shown = {e.pk for e in self.trending}
        found = self.entries.filter(q).exclude(pk__in=shown).distinct()
        return list(found[:MATCH_COUNT])


def unsubscribe_url(subscription: Subscription) -> str:
    token = make_token("unsubscribe", subscription.pk)
    return site_url(reverse("digest_unsubscribe", args=[token]))


def compose(subscription: Subscription, papers: PeriodPapers) -> Digest | None:
    """The digest for one subscriber, or None when the period has nothing for them."""
    matches = papers.matches(subscription)
    picked = papers.for_you.get(subscription.pk, [])
    if not papers.trending and not matches and not picked:
        return None
    period = papers.period
    label = period.label
    subject = f"{settings.SITE_NAME}: trending papers, {label}"
    context: dict[str, Any] = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "period_label": label,
        "period_url": site_url(_period_path(period)),
        "trending_text": papers.trending_text,
        "trending_html": papers.trending_html,
        "matches": [_item(e) for e in matches],
        "for_you": [{**_item(e), "why": why} for e, why in picked],
        "topics": subscription.topics or {},
        "frequency": subscription.get_frequency_display().lower(),
        "unsubscribe_url": unsubscribe_url(subscription),
        "manage_url": site_url(
            reverse("digest_manage", args=[make_token("manage", subscription.pk)])
        ),
        "feed_url": site_url(reverse("feed_subscription_atom", args=[subscription.feed_token])),
    }
    ids = papers.trending_ids + [i["id"] for i in context["for_you"] + context["matches"]]
    return Digest(
        subject=subject,
        text=render_to_string("digests/email/digest.txt", context),
        html=render_to_string("digests/email/digest.html", context),
        paper_ids=ids,
    )


def _period_path(period: feed.FeedPeriod) -> str:
    if period.kind == "week":
        return reverse("weekly", args=[period.slug])
    return f"{reverse('daily')}?date={period.slug}"


def _item(entry: FeedEntry) -> dict[str, Any]:
    paper = entry.paper
    refs = paper.author_refs()
    suffix = ""
    parts: list[dict[str, str]] = []
    if refs:
        parts = [{"name": name, "url": _author_url(pk)} for pk, name in refs[:4]]
        suffix = " et al." if len(refs) > 4 else ""
    elif paper.organization:
        org = paper.organization
        parts = [
            {"name": org.display_name, "url": site_url(reverse("organization", args=[org.name]))}
        ]
    elif paper.num_authors:
        count = paper.num_authors
        parts = [{"name": f"{count} author{'s' if count != 1 else ''}", "url": ""}]
    abstract = " ".join(paper.readable_abstract.split())
    return {
        "id": paper.public_id,
        "title": paper.readable_title,
        "url": site_url(paper.get_absolute_url()),
        "byline": ", ".join(part["name"] for part in parts) + suffix,
        "byline_parts": parts,
        "byline_suffix": suffix,
        "upvotes": entry.upvotes,
        "abstract": abstract if len(abstract) <= 400 else abstract[:397].rstrip() + "…",
    }


def _author_url(pk: int) -> str:
    return site_url(reverse("author", args=[pk]))


def message_id_for(subscription_id: int, period: str) -> str:
    """The same digest always has the same Message-ID, so a re-delivery is recognizable."""
    key = hashlib.sha256(f"{subscription_id}:{period}".encode()).hexdigest()[:24]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<digest.{key}@{domain}>"


def email_for(message: DigestMessage) -> EmailMultiAlternatives:
    """The outbox row as a multipart/alternative mail with RFC 8058 one-click headers."""
    unsubscribe = unsubscribe_url(message.subscription)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={
            "Message-ID": message.message_id,
            **one_click_unsubscribe(unsubscribe),
            "List-Id": f"{settings.SITE_NAME} digest <digest.{host}>",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
    mail.attach_alternative(message.html_body, "text/html")
    return mail
