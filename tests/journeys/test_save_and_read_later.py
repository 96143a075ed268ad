"""A member saves papers in one click, in place, from a feed card, a search result and a
paper page; finds them unread in the library, marks one read, and takes one back."""

from __future__ import annotations

import re
from typing import Any

from .helpers import FEED_DAY, Site, log_in, sign_up


def test_save_from_card_search_and_paper_then_read_later(
    page: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "sam")
    log_in(page, site, "sam")

    # From a feed card: the button changes in place, the page is not reloaded.
    page.goto(site.url + FEED_DAY)
    card = page.locator("ol.cards > li.card").first
    first_title = card.locator("h3 a").inner_text()
    page.evaluate("window.__sameDocument = true")
    card.get_by_role("button", name=re.compile("^Save to your library")).click()
    expect(card.locator(".save-button")).to_have_text("★ Saved")
    expect(card.locator(".save-button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__sameDocument === true"), "saving reloaded the page"

    # From a search result.
    page.locator("#header-q").fill("attention")
    page.locator("#header-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    hit = page.locator("li.search-hit").nth(1)
    second_title = hit.locator("h2").inner_text()
    hit.get_by_role("button", name=re.compile("^Save to your library")).click()
    expect(hit.locator(".save-button")).to_have_text("★ Saved")

    # From a paper page.
    hit.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    page.goto(site.url + FEED_DAY)
    page.locator("ol.cards > li.card").nth(2).locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    third_title = page.locator("h1").inner_text()
    page.locator(".paper-vote").get_by_role("button", name=re.compile("^Save to your")).click()
    expect(page.locator(".paper-vote .save-button")).to_have_text("★ Saved")

    # The library: all three unread; one marked read moves to Read.
    page.get_by_role("link", name="Library", exact=True).click()
    expect(page.locator("h1")).to_have_text("Your library")
    reading = page.locator("ol.reading-list")
    for title in (first_title, second_title, third_title):
        expect(reading).to_contain_text(title)
    expect(page.get_by_role("link", name="Unread (3)")).to_be_visible()
    item = page.locator("li.reading-item").filter(has_text=first_title)
    item.get_by_role("button", name=re.compile("^Mark read")).click()
    expect(page.get_by_role("link", name="Unread (2)")).to_be_visible()
    expect(reading).not_to_contain_text(first_title)
    page.get_by_role("link", name="Read", exact=True).click()
    expect(page.locator("ol.reading-list")).to_contain_text(first_title)

    # Unsave from the library, in place.
    page.get_by_role("link", name="All", exact=True).click()
    done = page.locator("li.reading-item").filter(has_text=third_title)
    done.get_by_role("button", name=re.compile("^Remove from your library")).click()
    expect(done.locator(".save-button")).to_have_text("☆ Save")
    # It stays until the next visit, so it can be saved again, but says it is out and
    # offers no "Mark read" (which would put it back without a word).
    expect(done.get_by_text("Removed from your library")).to_be_visible()
    expect(done.get_by_role("button", name=re.compile("^Mark"))).to_be_hidden()
    expect(page.get_by_role("link", name="Unread (1)")).to_be_visible()  # was 2
    page.reload()
    expect(page.locator("ol.reading-list")).not_to_contain_text(third_title)
