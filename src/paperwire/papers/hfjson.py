"""Papers in the JSON shapes Hugging Face's API returns, so its clients work unchanged.

Used by the JSON API and by the CLI (`paperwire search --json`), which is why it lives
in the lowest layer.
"""

from __future__ import annotations

from typing import Any

from paperwire.papers.models import FeedEntry, Organization, Paper
from paperwire.papers.records import iso_z


def organization_json(org: Organization | None) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"name": org.name, "fullname": org.fullname or org.name, "avatarUrl": org.avatar}


def submitter_json(entry: FeedEntry) -> dict[str, Any] | None:
    user = entry.submitted_by
    if user is not None:
        name = user.get_username()
        fullname = user.get_full_name() or name
    elif entry.submitter_name:
        name = fullname = entry.submitter_name
    else:
        return None
    return {"user": name, "name": name, "fullname": fullname, "avatarUrl": "", "type": "user"}


def paper_json(paper: Paper, entry: FeedEntry | None) -> dict[str, Any]:
    """The `paper` object (also the whole answer of /api/papers/{id})."""
    data: dict[str, Any] = {
        "id": paper.public_id,
        "authors": [{"name": name, "hidden": False} for name in paper.author_names()],
        "publishedAt": iso_z(paper.published_at) if paper.published_at else None,
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": entry.upvotes if entry else 0,
        "numAuthors": paper.author_count,
    }
    if entry is not None:
        data["submittedOnDailyAt"] = iso_z(entry.submitted_at)
        data["submittedOnDailyBy"] = submitter_json(entry)
        data["numComments"] = entry.num_comments
    if paper.arxiv_id:
        data["arxivId"] = paper.arxiv_id
    if paper.organization:
        data["organization"] = organization_json(paper.organization)
    if paper.project_url:
        data["projectPage"] = paper.project_url
    if paper.code_url:
        data["githubRepo"] = paper.code_url
    if paper.categories:
        data["categories"] = paper.categories
    return data


def daily_item_json(entry: FeedEntry) -> dict[str, Any]:
    """One item of /api/daily_papers: the paper, and its appearance in the feed."""
    paper = entry.paper
    return {
        "paper": paper_json(paper, entry),
        "publishedAt": iso_z(entry.submitted_at),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": "",
        "numComments": entry.num_comments,
        "submittedBy": submitter_json(entry),
        "organization": organization_json(paper.organization),
        "isAuthorParticipating": False,
    }


def search_item_json(paper: Paper) -> dict[str, Any]:
    """One search hit: the daily-papers item when the paper is in the feed, else its like."""
    entry = getattr(paper, "feed_entry", None)
    if entry is not None:
        return daily_item_json(entry)
    return {
        "paper": paper_json(paper, None),
        "publishedAt": iso_z(paper.published_at) if paper.published_at else None,
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": "",
        "numComments": 0,
        "submittedBy": None,
        "organization": organization_json(paper.organization),
        "isAuthorParticipating": False,
    }
