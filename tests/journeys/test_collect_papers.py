"""A member makes a collection from a paper page, adds a second paper, orders them,
describes the collection and makes it public; anyone can then read its page, its
RSS/Atom feeds and its Hub-shaped JSON, find it on the member's profile, and on the
page of a paper it holds ("Collections including this paper"), where it was not while
it was private."""

from __future__ import annotations

import json
import re
from typing import Any

from .helpers import FEED_DAY, Site, log_in, sign_up


def test_collect_order_describe_publish(
    page: Any, new_context: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "cole")
    log_in(page, site, "cole")
    page.goto(site.url + FEED_DAY)
    cards = page.locator("ol.cards > li.card")
    titles = [cards.nth(i).locator("h3 a").inner_text() for i in range(2)]

    # A new collection, straight from the first paper's page.
    cards.nth(0).locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url
    page.locator("details.collect summary").click()
    page.get_by_label("A new collection").fill("Reading group")
    page.get_by_role("button", name="Create and add").click()
    expect(page.locator(".messages")).to_contain_text(
        "Added to your new collection “Reading group”"
    )

    # The second paper into the same collection.
    page.goto(site.url + FEED_DAY)
    page.locator("ol.cards > li.card").nth(1).locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    page.locator("details.collect summary").click()
    page.get_by_label("Collection", exact=True).select_option(label="Reading group")
    page.locator("form.collect-form").get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Added to “Reading group”")

    # Private so far: a reader of the paper's page (served from the page cache, as readers
    # without a session are) sees no collection holding it.
    reader = new_context().new_page()
    reader.goto(paper_url)
    expect(reader.locator("h1")).to_have_text(titles[0])
    expect(reader.locator("section.in-collections")).to_have_count(0)

    # Order, describe, publish.
    page.get_by_role("link", name="Library", exact=True).click()
    page.get_by_role("link", name="Reading group").click()
    items = page.locator("li.collection-item .reading-title")
    expect(items).to_have_text(titles)
    page.get_by_role("button", name=f"Move up: {titles[1]}").click()
    expect(items).to_have_text(titles[::-1])
    page.get_by_label("Description").fill("Papers for Thursday's group.")
    page.get_by_label(re.compile("Public: anyone")).check()
    page.get_by_role("button", name="Save collection").click()
    expect(page.locator(".messages")).to_contain_text("The collection is saved.")
    expect(page.locator(".eyebrow")).to_contain_text("A public collection by")
    collection_url = page.url

    # Anyone: the page, the JSON the Hub's client reads; the feeds are checked at the end.
    stranger = new_context().new_page()
    stranger.goto(collection_url)
    expect(stranger.locator("h1")).to_have_text("Reading group")
    expect(stranger.locator("main")).to_contain_text("Papers for Thursday's group.")
    expect(stranger.locator("li.collection-item .reading-title")).to_have_text(titles[::-1])
    json_href = stranger.get_by_role("link", name="JSON", exact=True).get_attribute("href")
    data = json.loads(stranger.request.get(site.url + json_href).text())
    assert data["title"] == "Reading group" and data["private"] is False
    assert [item["title"] for item in data["items"]] == titles[::-1]
    for suffix in (".rss", ".atom"):
        assert stranger.request.get(collection_url + suffix).status == 200
    # From the collection to its owner's profile, which lists their public collections.
    stranger.locator(".eyebrow").get_by_role("link", name="@cole").click()
    expect(stranger.locator("h1")).to_have_text("cole")
    stranger.get_by_role("link", name="Reading group").click()
    expect(stranger.locator("h1")).to_have_text("Reading group")

    # Public now: on the page of each paper it holds, at once, and a link to it.
    reader.goto(paper_url)
    holding = reader.locator("section.in-collections")
    expect(holding.get_by_role("heading")).to_have_text("Collections including this paper (1)")
    expect(holding).to_contain_text("by @cole · 2 papers")
    expect(holding).to_contain_text("Papers for Thursday's group.")
    holding.get_by_role("link", name="Reading group").click()
    expect(reader.locator("h1")).to_have_text("Reading group")
    assert reader.url == collection_url
