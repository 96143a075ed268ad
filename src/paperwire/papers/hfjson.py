"""Papers in the JSON shapes Hugging Face's API returns, so its clients work unchanged.

The shapes and key names are those of the Hub's published OpenAPI description of its
papers endpoints. What this site cannot know is sent as an honest empty value (no
linked models here: `[]` and 0) or left out where the Hub leaves it out; docs/api.md
lists every key. Used by the JSON API and by the CLI (`paperwire search --json`), which
is why it lives in the lowest layer; what only higher layers know (authors' claims)
comes in through `HubContext`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from paperwire.papers.ids import hub_id, hub_id_of_name
from paperwire.papers.models import FeedEntry, Organization, Paper
from paperwire.papers.records import iso_z

# The Hub's author status for an author who claimed the paper and was confirmed.
CLAIMED_STATUS = "claimed_verified"


@dataclass(frozen=True)
class ClaimedAuthor:
    """An author name a user here claimed, and staff approved."""

    user: Any  # django.contrib.auth User
    decided_at: dt.datetime | None


@dataclass
class HubContext:
    """What the community layer knows about the papers being written out."""

    claimed: dict[int, ClaimedAuthor] = field(default_factory=dict)  # by Author pk


NO_CONTEXT = HubContext()


def user_json(user: Any) -> dict[str, Any]:
    """A user overview of an account here. Nobody here has the Hub's Pro plan."""
    name = user.get_username()
    return {
        "_id": hub_id("user", user.pk),
        "avatarUrl": "",
        "fullname": user.get_full_name() or name,
        "isPro": False,
        "name": name,
        "type": "user",
        "user": name,
    }


def site_user_json() -> dict[str, Any]:
    """The submitter of papers that entered the feed with nobody named (the demo data, an
    import without submitters): the site itself. No account has primary key 0."""
    name = settings.SITE_NAME
    return {
        "_id": hub_id("user", 0),
        "avatarUrl": "",
        "fullname": name,
        "isPro": False,
        "name": name,
        "type": "user",
        "user": name,
    }


def submitter_json(entry: FeedEntry) -> dict[str, Any]:
    if entry.submitted_by is not None:
        return user_json(entry.submitted_by)
    if not entry.submitter_name:
        return site_user_json()
    name = entry.submitter_name
    return {
        "_id": hub_id_of_name("submitter", name),
        "avatarUrl": entry.submitter_avatar,
        "fullname": entry.submitter_fullname or name,
        "isPro": False,
        "name": name,
        "type": "user",
        "user": name,
    }


def organization_json(org: Organization | None) -> dict[str, Any] | None:
    if org is None:
        return None
    data = {"_id": hub_id("organization", org.pk), "name": org.name}
    data["fullname"] = org.fullname or org.name
    # Always sent, "" when not known: clients read organization.avatar.
    data["avatar"] = org.avatar
    return data


def authors_json(paper: Paper, context: HubContext) -> list[dict[str, Any]]:
    authors = []
    for author_id, name in paper.author_refs():
        item: dict[str, Any] = {"_id": hub_id("author", author_id), "name": name, "hidden": False}
        claim = context.claimed.get(author_id)
        if claim is not None:
            item["status"] = CLAIMED_STATUS
            if claim.decided_at is not None:
                item["statusLastChangedAt"] = iso_z(claim.decided_at)
            item["user"] = user_json(claim.user)
        authors.append(item)
    return authors


def discussion_id(paper: Paper) -> str:
    """The Hub's id of the paper's thread when it was imported, else ours."""
    return paper.hub_discussion_id or hub_id("discussion", paper.pk)


def published_json(paper: Paper, entry: FeedEntry | None) -> str:
    """paper.publishedAt, which the Hub always sends: the publication date, or for a paper
    without one the time it entered the feed, or else this site."""
    stamp = paper.published_at or (entry.submitted_at if entry else None) or paper.created
    return iso_z(stamp)


def paper_json(
    paper: Paper, entry: FeedEntry | None, context: HubContext = NO_CONTEXT
) -> dict[str, Any]:
    """The `paper` object of a daily-papers item (and the base of /api/papers/{id})."""
    data: dict[str, Any] = {
        "id": paper.public_id,
        "authors": authors_json(paper, context),
    }
    if paper.media_urls:
        data["mediaUrls"] = list(paper.media_urls)
    data["publishedAt"] = published_json(paper, entry)
    if entry is not None:
        data["submittedOnDailyAt"] = iso_z(entry.submitted_at)
    data["title"] = paper.title
    if entry is not None:
        data["submittedOnDailyBy"] = submitter_json(entry)
    data["summary"] = paper.abstract
    data["upvotes"] = entry.upvotes if entry else 0
    if paper.withdrawn_at:
        data["withdrawnAt"] = iso_z(paper.withdrawn_at)
    data["discussionId"] = discussion_id(paper)
    if paper.project_url:
        data["projectPage"] = paper.project_url
    if paper.code_url:
        data["githubRepo"] = paper.code_url
    if paper.ai_summary:
        data["ai_summary"] = paper.ai_summary
    if paper.ai_keywords:
        data["ai_keywords"] = list(paper.ai_keywords)
    if paper.ai_summary_model:
        data["ai_summary_model"] = paper.ai_summary_model
    if paper.github_stars is not None:
        data["githubStars"] = paper.github_stars
    if paper.organization:
        data["organization"] = organization_json(paper.organization)
    return data


def paper_info_json(paper: Paper, context: HubContext = NO_CONTEXT) -> dict[str, Any]:
    """/api/papers/{id}: the paper object and its linked repositories. This site hosts no
    models, datasets or Spaces, so there are none to link."""
    data = paper_json(paper, getattr(paper, "feed_entry", None), context)
    data.update(
        linkedModels=[],
        numTotalModels=0,
        linkedDatasets=[],
        numTotalDatasets=0,
        linkedSpaces=[],
        numTotalSpaces=0,
    )
    return data


def daily_item_json(entry: FeedEntry, context: HubContext = NO_CONTEXT) -> dict[str, Any]:
    """One item of /api/daily_papers: the paper, and its appearance in the feed."""
    paper = entry.paper
    data: dict[str, Any] = {
        "paper": paper_json(paper, entry, context),
        "publishedAt": iso_z(entry.listed_at or entry.submitted_at),
        "title": paper.title,
        "summary": paper.abstract,
    }
    if paper.media_urls:
        data["mediaUrls"] = list(paper.media_urls)
    data["thumbnail"] = paper.thumbnail
    data["numComments"] = entry.num_comments
    data["submittedBy"] = submitter_json(entry)
    if paper.organization:
        data["organization"] = organization_json(paper.organization)
    data["isAuthorParticipating"] = any(a in context.claimed for a, _ in paper.author_refs())
    return data


def search_item_json(paper: Paper, context: HubContext = NO_CONTEXT) -> dict[str, Any]:
    """One search hit: the daily-papers item when the paper is in the feed, else its like
    (the Hub's search answers only with papers of its feed)."""
    entry = getattr(paper, "feed_entry", None)
    if entry is not None:
        return daily_item_json(entry, context)
    data: dict[str, Any] = {
        "paper": paper_json(paper, None, context),
        "publishedAt": published_json(paper, None),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": paper.thumbnail,
        "numComments": 0,
        # Never submitted to the feed: nobody to name.
        "submittedBy": None,
    }
    if paper.organization:
        data["organization"] = organization_json(paper.organization)
    data["isAuthorParticipating"] = False
    return data


def paper_list_item_json(paper: Paper, context: HubContext = NO_CONTEXT) -> dict[str, Any]:
    """One item of GET /api/papers."""
    entry = getattr(paper, "feed_entry", None)
    data: dict[str, Any] = {
        "id": paper.public_id,
        "title": paper.title,
        "upvotes": entry.upvotes if entry else 0,
        "publishedAt": published_json(paper, entry),
    }
    if paper.thumbnail:
        data["thumbnailUrl"] = paper.thumbnail
    data["authors"] = authors_json(paper, context)
    data["summary"] = paper.abstract
    if paper.project_url:
        data["projectPage"] = paper.project_url
    if paper.code_url:
        data["githubRepo"] = paper.code_url
    if paper.ai_summary:
        data["ai_summary"] = paper.ai_summary
    if paper.organization:
        data["organization"] = organization_json(paper.organization)
    return data
