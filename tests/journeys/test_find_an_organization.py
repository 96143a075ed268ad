"""A visitor looks for a lab: from the home page to the list of organizations, filters it,
opens one, and follows its feed; the list fits a phone, light or dark."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest

from .helpers import Site, page_width

PHONE = {"width": 390, "height": 844}
DEMO_ORGS = ["Tencent", "Qwen", "Intern Large Models"]  # the demo data's organizations


def _names(page: Any) -> list[str]:
    cards = page.locator("main ol.org-list > li h2 a")
    return [name.inner_text() for name in cards.all()]


def test_find_an_organization_and_follow_its_feed(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Organizations").click()
    page.wait_for_url(site.url + "/orgs")
    expect(page.locator("h1")).to_have_text("Organizations")
    listed = _names(page)
    assert set(DEMO_ORGS) <= set(listed), listed
    # Tencent has two demo papers, the others one: by papers, it comes first.
    page.get_by_role("navigation", name="Sort by").get_by_role("link", name="Papers").click()
    page.wait_for_url(re.compile(r"/orgs\?sort=papers$"))
    assert _names(page)[0] == "Tencent"
    tencent = page.locator("main ol.org-list > li").filter(has_text="Tencent")
    expect(tencent).to_contain_text("2 papers")

    main = page.locator("main")
    main.get_by_label("Filter organizations by handle or name").fill("TEN")
    main.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/orgs\?q=TEN&sort=papers$"))
    assert _names(page) == ["Tencent"]
    main.get_by_label("Filter organizations by handle or name").fill("no such lab")
    main.get_by_role("button", name="Filter").click()
    expect(main.get_by_role("status")).to_contain_text(
        "No organization's handle or name contains “no such lab”."
    )
    main.get_by_role("link", name="show all").click()
    assert set(DEMO_ORGS) <= set(_names(page))

    page.locator("main ol.org-list").get_by_role("link", name="Tencent").click()
    page.wait_for_url(site.url + "/orgs/tencent")
    expect(page.locator("h1")).to_contain_text("Tencent")
    titles = [t.inner_text() for t in page.locator("main ol.cards h3 a").all()]
    assert len(titles) == 2, titles
    # Its feed: the RSS link the page shows parses, and holds the organization's papers.
    rss = main.get_by_role("list", name="Feeds").get_by_role("link", name="RSS")
    href = rss.get_attribute("href")
    assert href == "/feeds/org/tencent.rss", href
    response = page.request.get(site.url + href)
    assert response.status == 200
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.startswith("Papers by Tencent"), feed.feed.title
    assert sorted(e.title for e in feed.entries) == sorted(titles)
    # And back to the whole list from the organization's page.
    main.get_by_role("link", name="All organizations").click()
    page.wait_for_url(site.url + "/orgs")
    expect(page.locator("h1")).to_have_text("Organizations")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_list_fits_a_phone(new_context: Any, site: Site, scheme: str, watch: Any) -> None:
    from playwright.sync_api import expect

    page = new_context(
        viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True
    ).new_page()
    for path in ["/orgs", "/orgs?q=qwen&sort=name", "/orgs?q=nothing-matches"]:
        page.goto(site.url + path)
        expect(page.locator("h1")).to_have_text("Organizations")
        width = page_width(page, PHONE["width"])
        assert width <= PHONE["width"], f"{path} in {scheme} mode is {width}px wide on a phone"
        # The order tabs stay on one line each, side by side, inside the screen.
        tabs = page.get_by_role("navigation", name="Sort by").get_by_role("link").all()
        boxes = [tab.bounding_box() for tab in tabs]
        assert len(boxes) == 4 and all(b and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
        assert len({round(b["y"]) for b in boxes if b}) == 1, boxes
    assert _names(page) == []
    page.goto(site.url + "/orgs?q=qwen")
    assert _names(page) == ["Qwen"]
    assert not watch.problems, "the browser saw:\n" + "\n".join(watch.problems)
