"""A developer opens /api/docs and finds the API's operations, served by this site alone,
and a way back to the site."""

from __future__ import annotations

from typing import Any

from .helpers import Site


def test_api_docs_list_the_operations(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/api/docs")
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert any("/api/daily_papers" in p for p in paths), paths
    assert any("/api/papers/" in p for p in paths), paths


def test_api_docs_lead_back_to_the_site(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/api/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    home = page.get_by_role("link", name="paperwire", exact=True)
    expect(home).to_be_visible()
    home.click()
    page.wait_for_url(site.url + "/")
    expect(page.locator("#feed-heading")).to_be_visible()
