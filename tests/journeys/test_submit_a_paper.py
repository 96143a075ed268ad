"""A member submits a paper by its arXiv id; the site asks arXiv (here a local server
answering with a recorded reply) and the paper joins today's feed."""

from __future__ import annotations

from typing import Any

from .helpers import Site, log_in, sign_up


def test_submit_by_arxiv_id(page: Any, site: Site, feeds_of_pages: list[str]) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "submitter")
    log_in(page, site, "submitter")
    page.get_by_role("link", name="Submit", exact=True).click()
    field = page.locator("main").get_by_label("arXiv id or URL", exact=True)
    field.fill("2401.00002")
    page.locator("main").get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(site.url + "/papers/2401.00002")
    expect(page.locator("h1")).to_contain_text("A Benchmark With Many Authors")
    expect(page.locator(".messages")).to_contain_text("the paper is in today's feed")
    expect(page.locator(".facts")).to_contain_text("submitter")

    # Other journeys submit 2401.00001 (the local arXiv answers with both of its
    # recorded papers, so 2401.00002 may be stored already, but not in the feed).
    page.goto(site.url + "/")
    expect(page.locator("main")).to_contain_text("A Benchmark With Many Authors")
