"""Search hits as JSON for the CLI, in the shape of Hugging Face's /api/papers/search.

The web API (paperwire.api) renders the full paper object with its own
serializer; this layer may not import it, so the CLI gives the core fields.
"""

from __future__ import annotations

from typing import Any

from paperwire.papers.models import Paper
from paperwire.papers.records import iso_z


def hit_json(paper: Paper) -> dict[str, Any]:
    entry = getattr(paper, "feed_entry", None)
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
        data["numComments"] = entry.num_comments
    if paper.arxiv_id:
        data["arxivId"] = paper.arxiv_id
    if paper.organization:
        org = paper.organization
        data["organization"] = {
            "name": org.name,
            "fullname": org.fullname or org.name,
            "avatarUrl": org.avatar,
        }
    if paper.categories:
        data["categories"] = paper.categories
    return {"paper": data, "title": paper.title, "summary": paper.abstract}
