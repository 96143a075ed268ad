"""For you, the library, a collection and the settings (tokens, your data) fit a phone
390 px wide in light and dark mode and a desktop: nothing scrolls sideways, not even the
table of API tokens with its Revoke buttons. Screenshots
of each are left in tests/journeys/artifacts/ to look at."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ARTIFACTS, FEED_DAY, Site, log_in, page_width, sign_up

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"},
    "phone": {**PHONE, "color_scheme": "light"},
    "phone-dark": {**PHONE, "color_scheme": "dark"},
}


@pytest.fixture(scope="module")
def member(site: Site, browser: Any) -> str:
    """A member with three saves, a public collection and a token."""
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, site, "pixel")
    log_in(page, site, "pixel")
    page.goto(site.url + FEED_DAY)
    cards = page.locator("ol.cards > li.card")
    for i in range(3):
        cards.nth(i).locator(".save-button").click()
        cards.nth(i).locator(".save.saved").wait_for()
    page.goto(site.url + "/library")
    page.get_by_label("Name").fill("Pixel's picks")
    page.get_by_label("Description").fill("A few papers, for the screenshots.")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(f"{site.url}/collections/*")
    collection = page.url
    for i in range(2):
        page.goto(site.url + FEED_DAY)
        page.locator("ol.cards > li.card").nth(i).locator("h3 a").click()
        page.locator("details.collect summary").click()
        page.locator("form.collect-form").get_by_role("button", name="Add", exact=True).click()
        page.locator(".messages").wait_for()
    page.goto(site.url + "/settings")
    tokens = page.locator("#tokens")
    tokens.get_by_label("Token name").fill("my reading script")
    tokens.get_by_role("button", name="Create token").click()
    page.locator("#new-token").wait_for()
    context.close()
    return collection


@pytest.mark.parametrize("screen", list(SCREENS))
def test_my_pages_fit(new_context: Any, site: Site, member: str, screen: str, watch: Any) -> None:
    from playwright.sync_api import expect

    page = new_context(**SCREENS[screen]).new_page()
    log_in(page, site, "pixel")
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in [
        ("for-you", "/for-you"), ("library", "/library?show=all"),
        ("collection", member.removeprefix(site.url)), ("settings", "/settings"),
    ]:  # fmt: skip
        page.goto(site.url + path)
        expect(page.locator("h1").first).to_be_visible()
        screen_width = SCREENS[screen]["viewport"]["width"]  # type: ignore[index]
        width = page_width(page, screen_width)
        assert width <= screen_width, f"{path} on {screen} is {width}px wide"
        page.screenshot(path=str(ARTIFACTS / f"mine-{name}-{screen}.png"), full_page=True)
    # The settings page is the last one: a token's row, Revoke included, is on the screen
    # as it is, not in a table that has to be scrolled sideways to find the button.
    tokens = page.locator("table.token-table")
    assert tokens.evaluate("t => t.scrollWidth <= t.clientWidth"), f"tokens scroll on {screen}"
    revoke = tokens.get_by_role("button", name="Revoke my reading script")
    right = revoke.evaluate("b => b.getBoundingClientRect().right")
    assert 0 < right <= screen_width, f"Revoke ends at {right}px on a {screen_width}px {screen}"
    assert not watch.problems, "the browser saw:\n" + "\n".join(watch.problems)
