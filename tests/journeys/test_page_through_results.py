"""A person reads past the first page of trending papers and of search results."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site


def titles(page: Any, selector: str) -> list[str]:
    return list(page.locator(selector).all_inner_texts())


def test_trending_and_search_have_next_pages(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    for start, items in [
        ("/trending", "main h3 a[href^='/papers/']"),
        ("/search?q=model", "ol.search-results h2 a"),
    ]:
        page.goto(site.url + start)
        first = titles(page, items)
        assert first, f"{start} shows no papers"
        page.locator("main a[rel=next]").first.click()
        page.wait_for_url(re.compile(r"page=2"))
        expect(page.locator(items).first).to_be_visible()
        second = titles(page, items)
        assert second and not set(first) & set(second), f"{start}: page 2 repeats page 1"
        page.locator("main a[rel=prev]").first.click()
        expect(page.locator(items).first).to_have_text(first[0])
