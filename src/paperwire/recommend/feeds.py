"""A reader's "For you" as an RSS/Atom feed, at a signed URL only they know.

The URL carries the reader's id and a fingerprint of their password hash, signed with
the site's key: changing the password retires every old feed URL."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.core import signing
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed

from paperwire.community.collection_feeds import text_as_html, xml_text
from paperwire.papers.models import FeedEntry
from paperwire.papers.syndication import TextDescriptionRss
from paperwire.recommend.ranking import ForYou, Pick, for_you

SALT = "paperwire.recommend.feed"
ITEMS = 50


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password.encode()).hexdigest()[:12]


def feed_token(user: User) -> str:
    """The same token on every visit (no timestamp), so a feed reader keeps one URL."""
    return signing.Signer(salt=SALT).sign_object(
        {"u": user.pk, "k": _fingerprint(user)}, compress=True
    )


def _token_data(token: str) -> object:
    # payload:signature now; payload:time:signature for tokens handed out before
    # 2026-12, which keep working (a Signer would take the time for part of the payload).
    try:
        if token.count(":") == 2:
            return signing.loads(token, salt=SALT)
        return signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        raise Http404("No such feed") from None


def user_of_token(token: str) -> User:
    data = _token_data(token)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise Http404("No such feed")
    user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
    if user is None or data.get("k") != _fingerprint(user):
        raise Http404("No such feed")
    return user


@dataclass
class RankedEntries:
    """The feed's object: one request's ranking and the entries it names (the Feed
    instance is shared by every request, so nothing of one request is kept on it)."""

    ranked: ForYou
    entries: dict[int, FeedEntry]

    def entry(self, pick: Pick) -> FeedEntry:
        return self.entries[pick.paper_id]


class ForYouFeed(Feed):
    feed_type: type[SyndicationFeed] = TextDescriptionRss
    title = "For you"
    description = "Recent papers ranked for you from your upvotes, saves and collections."

    def get_object(self, request: HttpRequest, token: str) -> RankedEntries:
        if not getattr(settings, "PAPERWIRE_FOR_YOU", True):
            raise Http404("For you is turned off on this site")
        ranked = for_you(user_of_token(token), limit=ITEMS)
        entries = FeedEntry.objects.select_related("paper").filter(
            paper_id__in=[p.paper_id for p in ranked.picks]
        )
        return RankedEntries(ranked, {e.paper_id: e for e in entries})

    def subtitle(self, obj: RankedEntries) -> str:
        return self.description

    def link(self, obj: RankedEntries) -> str:
        return reverse("for_you")

    def author_name(self) -> str:
        # Atom requires an author for every entry (RFC 4287, 4.1.2): the site ranks them.
        return settings.SITE_NAME

    def items(self, obj: RankedEntries) -> list[tuple[Pick, FeedEntry]]:
        return [(p, obj.entry(p)) for p in obj.ranked.picks if p.paper_id in obj.entries]

    def item_title(self, item: tuple[Pick, FeedEntry]) -> str:
        return xml_text(item[1].paper.readable_title)

    def item_description(self, item: tuple[Pick, FeedEntry]) -> str:
        # Readers render it as HTML: the why and the abstract are text, in paragraphs.
        return text_as_html(f"Why: {item[0].reason}.\n\n{item[1].paper.readable_abstract}")

    def item_link(self, item: tuple[Pick, FeedEntry]) -> str:
        return item[1].paper.get_absolute_url()

    def item_pubdate(self, item: tuple[Pick, FeedEntry]) -> dt.datetime:
        return item[1].submitted_at

    def item_updateddate(self, item: tuple[Pick, FeedEntry]) -> dt.datetime:
        # Atom requires an entry's <updated>.
        return max(item[1].modified, item[1].paper.modified)


class ForYouFeedAtom(ForYouFeed):
    feed_type = Atom1Feed
