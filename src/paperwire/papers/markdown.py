"""A paper as Markdown, the form Hugging Face serves at /papers/<id>.md."""

from __future__ import annotations

from paperwire.papers.feed import format_feed_date
from paperwire.papers.models import Paper


def paper_markdown(paper: Paper, page_url: str) -> str:
    lines = [f"# {paper.title}", ""]
    names = paper.author_names()
    if names:
        lines.append("Authors: " + ", ".join(names))
    elif paper.num_authors:
        lines.append(f"Authors: {paper.num_authors} authors")
    if paper.organization:
        lines.append(f"Organization: {paper.organization.display_name}")
    if paper.published_at:
        lines.append(f"Published: {paper.published_at.date().isoformat()}")
    entry = getattr(paper, "feed_entry", None)
    if entry is not None:
        lines.append(f"In the daily feed: {entry.feed_date.isoformat()}")
        lines.append(f"Upvotes: {entry.upvotes}")
    if paper.categories:
        lines.append("Categories: " + ", ".join(paper.categories))
    links = [f"[Paper page]({page_url})"]
    if paper.arxiv_id:
        links += [f"[arXiv]({paper.arxiv_url})", f"[PDF]({paper.pdf_url})"]
    if paper.code_url:
        links.append(f"[Code]({paper.code_url})")
    if paper.project_url:
        links.append(f"[Project page]({paper.project_url})")
    lines += ["", " · ".join(links), "", "## Abstract", "", paper.abstract.strip() or "(none)", ""]
    if paper.published_at:
        lines.insert(2, f"*{format_feed_date(paper.published_at)}*\n")
    return "\n".join(lines)
