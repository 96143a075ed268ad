"""A paper as Markdown, the form Hugging Face serves at /papers/<id>.md."""

from __future__ import annotations

import re
from urllib.parse import quote

from paperwire.papers.feed import format_feed_date
from paperwire.papers.models import Paper

# The Hub's .md holds the whole paper; this site keeps only metadata and the abstract.
ABSTRACT_ONLY = (
    "> This Markdown holds the paper's metadata and abstract only: this site does not "
    "keep the full text."
)


# CommonMark's raw HTML and autolinks begin with "<" and one of these.
_OPENS_HTML = re.compile(r"<(?=[A-Za-z/!?])")


def _text(value: str) -> str:
    """Stored text as Markdown that shows it: a `<` that could open HTML or an autolink
    (a letter, `/`, `!` or `?` after it) is escaped, so that a renderer shows a title's or
    an abstract's "<script>" or "<img …>" as the characters, not as HTML (CommonMark
    passes raw HTML through). TeX's "a < b" and the rest read as they are."""
    return _OPENS_HTML.sub(r"\\<", value)


def _url(value: str) -> str:
    """A stored http(s) URL as a link destination: spaces, brackets and quotes, which
    would end the destination and let what follows be Markdown or HTML, are %-encoded."""
    return quote(value, safe=":/?#[]@!$&'*+,;=%~")


def paper_markdown(paper: Paper, page_url: str) -> str:
    lines = [f"# {_text(paper.readable_title)}", ""]
    # One list item a fact: plain lines would run together into one paragraph when rendered.
    facts: list[str] = []
    names = paper.author_names()
    if names:
        facts.append("Authors: " + _text(", ".join(names)))
    elif paper.num_authors:
        facts.append(f"Authors: {paper.num_authors} author{'' if paper.num_authors == 1 else 's'}")
    if paper.organization:
        facts.append(f"Organization: {_text(paper.organization.display_name)}")
    if paper.published_at:
        facts.append(f"Published: {paper.published_at.date().isoformat()}")
    entry = getattr(paper, "feed_entry", None)
    if entry is not None:
        facts.append(f"In the daily feed: {entry.feed_date.isoformat()}")
        facts.append(f"Upvotes: {entry.upvotes}")
    if paper.categories:
        facts.append("Categories: " + _text(", ".join(paper.categories)))
    if paper.ai_keywords:
        facts.append("Keywords (imported): " + _text(", ".join(paper.ai_keywords)))
    lines += [f"- {fact}" for fact in facts]
    links = [f"[Paper page]({page_url})"]
    if paper.arxiv_id:
        links += [f"[arXiv]({paper.arxiv_url})", f"[PDF]({paper.pdf_url})"]
    if paper.code_url:
        stars = f" ({paper.github_stars} stars)" if paper.github_stars is not None else ""
        links.append(f"[Code]({_url(paper.code_url)}){stars}")
    if paper.project_url:
        links.append(f"[Project page]({_url(paper.project_url)})")
    full_text = (
        f"{ABSTRACT_ONLY} The full paper is at [arXiv]({paper.arxiv_url})."
        if (paper.arxiv_id)
        else ABSTRACT_ONLY
    )
    lines += ["", " · ".join(links), "", full_text, ""]
    if paper.ai_summary:
        lines += ["## Summary (imported, machine-written)", "", _text(paper.ai_summary.strip()), ""]
    lines += ["## Abstract", "", _text(paper.abstract.strip()) or "(none)", ""]
    if paper.media_urls:
        lines += ["## Media", ""] + [f"- <{_url(url)}>" for url in paper.media_urls] + [""]
    if paper.published_at:
        lines.insert(2, f"*{format_feed_date(paper.published_at)}*\n")
    return "\n".join(lines)
