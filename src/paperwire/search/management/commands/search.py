"""`paperwire search "query"`: the site's search from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from paperwire.papers.hfjson import search_item_json
from paperwire.search.engine import search


class Command(BaseCommand):
    help = (
        'Search papers: words, "phrases", -exclusions, author:, cat:, org:, year:, '
        "after:, before:, sort:date|upvotes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="+", help="the query (quote it in your shell)")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--sort", choices=["relevance", "date", "upvotes"], default=None)
        parser.add_argument("--json", action="store_true", help="Hugging Face's JSON shape")
        parser.add_argument(
            "--keyword-only", action="store_true", help="BM25 alone, without embeddings"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000")
        res = search(" ".join(opts["query"]), opts["sort"], semantic=not opts["keyword_only"])
        papers = res.papers(0, opts["limit"])
        # Notes (an ignored filter, a cut query) go to stderr with --json too: stdout stays JSON.
        for note in res.notes:
            self.stderr.write(note)
        if opts["json"]:
            items = [search_item_json(p) for p in papers]
            self.stdout.write(json.dumps(items, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{res.total} result(s), {res.mode} search, {res.took_ms:.0f} ms"
            + (f"; showing {len(papers)}" if res.total > len(papers) else "")
        )
        for rank, p in enumerate(papers, start=1):
            date = p.published_at.date().isoformat() if p.published_at else "----------"
            self.stdout.write(f"{rank:>3}. [{p.public_id}] {date}  {p.readable_title}")
