"""Real Chromium: an author's name on a feed card leads to the author's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import LiveServer, serving_small_feed

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def small_site(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`paperwire serve` on the small feed (it has named authors; the demo data has none)."""
    data_dir = tmp_path_factory.mktemp("links-site")
    with serving_small_feed(migrated_template, data_dir) as server:
        yield server


def test_clicking_an_author_on_a_card_opens_the_author_page(page: Any, small_site) -> None:
    page.goto(small_site.url + "/?date=2026-01-05")
    card = page.locator("li.card", has_text="Structured State Spaces, Revisited")
    card.get_by_role("link", name="Alan Turing").click()
    page.wait_for_url("**/authors/*")
    assert page.locator("h1").first.inner_text().strip() == "Alan Turing"
    assert (
        page.get_by_role("link", name="Structured State Spaces, Revisited", exact=True).count() == 1
    )


def test_organization_line_on_a_card_opens_the_organization_page(page: Any, small_site) -> None:
    page.goto(small_site.url + "/?date=2026-01-05")
    card = page.locator("li.card", has_text="Hidden-State Clustering for Verification")
    card.locator("a.org").click()
    page.wait_for_url("**/orgs/tencent")
    assert "Tencent" in page.locator("h1").first.inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_byline_links_look_like_the_byline(browser: Any, small_site, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(small_site.url + "/?date=2026-01-05")
        link = page.locator("p.byline a.author", has_text="Alan Turing")
        style = link.evaluate(
            "a => { const s = getComputedStyle(a), p = getComputedStyle(a.parentElement"
            ".closest('.byline')); return [s.color, p.color, s.textDecorationLine]; }"
        )
        assert style[0] == style[1] and style[2] == "none"
    finally:
        context.close()
