"""RSS 2.0 and Atom feeds of a public collection: its papers in the collection's order,
each dated when it was added, so a feed reader shows what is new in it.

Readers render an item's description (and RSS's channel description) as HTML, while
abstracts and a collection's description are text: they go out escaped, so that
`D<n` or `<script>` in them reads as written and never runs."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.html import linebreaks

from paperwire.community.models import Collection, CollectionItem
from paperwire.papers.syndication import TextDescriptionRss

ITEMS = 100
# Characters XML 1.0 cannot carry: a stray one in an abstract would break the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def text_as_html(text: str) -> str:
    """HTML that a feed reader shows as exactly `text` (escaped, paragraphs as <p>)."""
    return linebreaks(xml_text(text), autoescape=True)


class CollectionFeed(Feed):
    feed_type: type[SyndicationFeed] = TextDescriptionRss

    def get_object(self, request: HttpRequest, pk: int) -> Collection:
        collection = Collection.objects.select_related("owner").filter(pk=pk, public=True).first()
        if collection is None or not collection.owner.is_active:
            raise Http404("No such public collection")
        return collection

    def title(self, obj: Collection) -> str:
        return xml_text(f"{obj.name} — a collection by {obj.owner.get_username()}")

    def description(self, obj: Collection) -> str:
        return xml_text(obj.description or f"Papers collected by {obj.owner.get_username()}.")

    def subtitle(self, obj: Collection) -> str:
        return self.description(obj)

    def link(self, obj: Collection) -> str:
        return obj.get_absolute_url()

    def author_name(self, obj: Collection) -> str:
        # Atom requires an author for every entry (RFC 4287, 4.1.2): whoever collected.
        return xml_text(obj.owner.get_username())

    def items(self, obj: Collection) -> list[CollectionItem]:
        return list(
            CollectionItem.objects.filter(collection=obj, paper__hidden=False)
            .select_related("paper")
            .order_by("position", "pk")[:ITEMS]
        )

    def item_title(self, item: CollectionItem) -> str:
        return xml_text(item.paper.readable_title)

    def item_description(self, item: CollectionItem) -> str:
        return text_as_html(item.paper.readable_abstract)

    def item_link(self, item: CollectionItem) -> str:
        return item.paper.get_absolute_url()

    def item_pubdate(self, item: CollectionItem) -> dt.datetime:
        return item.added

    def item_updateddate(self, item: CollectionItem) -> dt.datetime:
        # Atom requires an entry's <updated>; the paper may have changed since it was added.
        return max(item.added, item.paper.modified)


class CollectionFeedAtom(CollectionFeed):
    feed_type = Atom1Feed
