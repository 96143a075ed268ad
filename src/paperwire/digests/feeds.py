"""RSS 2.0 and Atom feeds of the daily feed, trending, categories, organizations and authors.

Every feed comes in both formats (`….rss` and `….atom`); item ids are the absolute
paper page URLs, which never change; item dates are when the paper entered the feed.

Abstracts are imported text, shown on the site as text: a feed carries them as HTML that
renders to exactly that text (escaped, paragraphs as <p>), never as markup of their own.
Every string is written without control characters, which XML 1.0 cannot carry, so one
odd title never turns a feed into an error for everyone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.html import linebreaks

from paperwire.digests.compose import topic_filter
from paperwire.digests.models import Subscription
from paperwire.papers import feed as daily_feed
from paperwire.papers.control_chars import strip_control_chars
from paperwire.papers.models import Author, FeedEntry, Organization
from paperwire.papers.syndication import TextDescriptionRss
from paperwire.search.engine import search

ITEMS = 50
CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z\-]+)?$")


def _without_control_chars(value: Any) -> Any:
    if isinstance(value, str):
        return strip_control_chars(value)
    if isinstance(value, list | tuple):
        return [_without_control_chars(v) for v in value]
    return value


class _ControlCharFree(SyndicationFeed):
    """Cleans every string of the feed and its items before the XML writer sees it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{k: _without_control_chars(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*args, **{k: _without_control_chars(v) for k, v in kwargs.items()})


class RssFeed(_ControlCharFree, TextDescriptionRss):
    pass


class AtomFeed(_ControlCharFree, Atom1Feed):
    pass


class PaperFeed(Feed):
    """Items are feed entries; subclasses say which and how they are titled."""

    feed_type: type[SyndicationFeed] = RssFeed

    def entries(self, obj: Any) -> QuerySet[FeedEntry]:
        raise NotImplementedError

    def author_name(self) -> str:
        # Atom requires an author on every entry (RFC 4287, 4.1.2), or one on the feed
        # for those without: a paper known only by its number of authors (as the demo
        # papers are) has no name to give, so the site that lists it stands in.
        return settings.SITE_NAME

    def items(self, obj: Any) -> list[FeedEntry]:
        return list(self.entries(obj)[:ITEMS])

    def item_title(self, item: FeedEntry) -> str:
        return item.paper.readable_title

    def item_description(self, item: FeedEntry) -> str:
        # HTML that shows the abstract as the paper page does: as text.
        return linebreaks(item.paper.readable_abstract, autoescape=True)

    def item_link(self, item: FeedEntry) -> str:
        return item.paper.get_absolute_url()

    def item_pubdate(self, item: FeedEntry) -> dt.datetime:
        return item.submitted_at

    def item_updateddate(self, item: FeedEntry) -> dt.datetime:
        return max(item.modified, item.paper.modified)

    def item_author_name(self, item: FeedEntry) -> str | None:
        paper = item.paper
        names = paper.author_names()
        if names:
            return ", ".join(names[:10]) + (" et al." if len(names) > 10 else "")
        if paper.organization:
            return paper.organization.display_name
        return None

    def item_categories(self, item: FeedEntry) -> list[str]:
        return list(item.paper.categories or [])


def _atom(cls: type[PaperFeed]) -> type[PaperFeed]:
    """The Atom twin of an RSS feed class."""
    return type(cls.__name__ + "Atom", (cls,), {"feed_type": AtomFeed, "subtitle": cls.description})


def last_week_of_feed() -> QuerySet[FeedEntry]:
    """Entries of the seven feed days up to the latest one (all entries when none)."""
    latest = daily_feed.latest_feed_date()
    qs = daily_feed.entries(None)
    if latest is not None:
        qs = qs.filter(feed_date__gte=latest - dt.timedelta(days=6))
    return qs


class DailyFeed(PaperFeed):
    title = "Daily Papers"
    description = "Papers as they enter the daily feed, most upvoted first within a day."

    def link(self) -> str:
        return reverse("daily")

    def entries(self, obj: Any) -> QuerySet[FeedEntry]:
        return last_week_of_feed().order_by("-feed_date", "-upvotes", "pk")


class TrendingFeed(PaperFeed):
    title = "Trending papers"
    description = "Papers ranked by upvotes with time decay (see /about#trending)."

    def link(self) -> str:
        return reverse("trending")

    def entries(self, obj: Any) -> QuerySet[FeedEntry]:
        return daily_feed.entries(None, "trending")


class CategoryFeed(PaperFeed):
    def get_object(self, request: HttpRequest, category: str) -> str:
        if not CATEGORY_RE.match(category) or len(category) > 32:
            raise Http404("No such category")
        return category

    def title(self, obj: str) -> str:
        return f"Papers in {obj}"

    def description(self, obj: str) -> str:
        return f"Papers in the feed with the arXiv category {obj}."

    def link(self, obj: str) -> str:
        # The feed's page, and (in Atom) its id: each feed has its own, not the home page's.
        return reverse("search") + "?" + urlencode({"q": f"cat:{obj}"})

    def entries(self, obj: str) -> QuerySet[FeedEntry]:
        # Categories are a JSON list; matching the quoted name works on SQLite and PostgreSQL.
        match = Q(paper__primary_category=obj) | Q(paper__categories__icontains=f'"{obj}"')
        return daily_feed.entries(None, "publishedAt").filter(match)


class OrganizationFeed(PaperFeed):
    def get_object(self, request: HttpRequest, name: str) -> Organization:
        org = Organization.named(name)
        if org is None:
            raise Http404("No such organization")
        return org

    def title(self, obj: Organization) -> str:
        return f"Papers by {obj.display_name}"

    def description(self, obj: Organization) -> str:
        return f"Papers of {obj.display_name} as they enter the feed."

    def link(self, obj: Organization) -> str:
        return reverse("organization", args=[obj.name])

    def entries(self, obj: Organization) -> QuerySet[FeedEntry]:
        return daily_feed.entries(None, "publishedAt").filter(paper__organization=obj)


class AuthorFeed(PaperFeed):
    def get_object(self, request: HttpRequest, author_id: int) -> Author:
        author = Author.objects.filter(pk=author_id).first()
        if author is None:
            raise Http404("No such author")
        return author

    def title(self, obj: Author) -> str:
        return f"Papers by {obj.name}"

    def description(self, obj: Author) -> str:
        return f"Papers of {obj.name} as they enter the feed."

    def link(self, obj: Author) -> str:
        return reverse("author", args=[obj.pk])

    def entries(self, obj: Author) -> QuerySet[FeedEntry]:
        return daily_feed.entries(None, "publishedAt").filter(paper__paper_authors__author=obj)


class SubscriptionFeed(PaperFeed):
    """A subscriber's own feed (secret URL): the last week's trending papers and topic matches."""

    def get_object(self, request: HttpRequest, token: str) -> Subscription:
        sub = Subscription.objects.filter(feed_token=token).first()
        if sub is None or sub.status == Subscription.UNSUBSCRIBED:
            raise Http404("No such feed")
        return sub

    def title(self, obj: Subscription) -> str:
        return "Your papers"

    def description(self, obj: Subscription) -> str:
        return "Trending papers and papers matching your topics."

    def link(self, obj: Subscription) -> str:
        return reverse("daily")

    def entries(self, obj: Subscription) -> QuerySet[FeedEntry]:
        qs = last_week_of_feed()
        topics = topic_filter(obj)
        top = list(qs.order_by("-upvotes", "pk").values_list("pk", flat=True)[:10])
        wanted = Q(pk__in=top) | topics if topics is not None else Q(pk__in=top)
        return qs.filter(wanted).distinct().order_by("-feed_date", "-upvotes", "pk")


class SearchFeed(PaperFeed):
    """Any search as a feed: /feeds/search.atom?q=… lists the query's best matches."""

    def get_object(self, request: HttpRequest) -> str:
        query = request.GET.get("q", "").strip()
        if not query:
            raise Http404("A search feed needs a query: /feeds/search.atom?q=…")
        return query[:1000]

    def title(self, obj: str) -> str:
        return f"Papers matching {obj}"

    def description(self, obj: str) -> str:
        return f"The best matches for the search {obj}."

    def link(self, obj: str) -> str:
        return reverse("search") + "?" + urlencode({"q": obj})

    def items(self, obj: str) -> list[FeedEntry]:
        papers = search(obj).papers(0, ITEMS)
        # Search hits are papers; the feed lists the ones that are in the feed.
        return [e for p in papers if (e := getattr(p, "feed_entry", None)) is not None]


DailyFeedAtom = _atom(DailyFeed)
SearchFeedAtom = _atom(SearchFeed)
SubscriptionFeedAtom = _atom(SubscriptionFeed)
TrendingFeedAtom = _atom(TrendingFeed)
CategoryFeedAtom = _atom(CategoryFeed)
OrganizationFeedAtom = _atom(OrganizationFeed)
AuthorFeedAtom = _atom(AuthorFeed)
