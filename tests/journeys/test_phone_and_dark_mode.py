"""On a phone-sized screen, in light and dark mode, the home page, a paper page, search,
subscribe and the subscription's own page (with its long private feed address) fit the
screen: nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ARTIFACTS, Site, link_to, page_width

PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_fit_a_phone(new_context: Any, site: Site, scheme: str, watch: Any) -> None:
    from playwright.sync_api import expect

    page = new_context(
        viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True
    ).new_page()
    page.goto(site.url + "/")
    paper = page.locator("ol.cards > li.card h3 a").first.get_attribute("href")
    assert paper
    for path in ["/", paper, "/search?q=attention", "/subscribe?email=phone%40example.org"]:
        page.goto(site.url + path)
        expect(page.locator("h1").first).to_be_visible()
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
            scheme == "dark"
        )
        width = page_width(page, PHONE["width"])
        assert width <= PHONE["width"], f"{path} in {scheme} mode is {width}px wide on a phone"
    # Subscribe from the phone, confirm, and land on the subscription's page.
    email = f"phone-{scheme}@example.org"
    main = page.locator("main")
    page.goto(site.url + f"/subscribe?email={email}")
    main.get_by_role("button", name="Subscribe").click()
    expect(main).to_contain_text(email)
    page.goto(link_to(site.mail.wait_for(email), "/digests/confirm/"))
    page.get_by_role("button", name="Yes, confirm my subscription").click()
    expect(main).to_contain_text("your subscription is confirmed")
    width = page_width(page, PHONE["width"])
    assert width <= PHONE["width"], f"the subscription page in {scheme} mode is {width}px wide"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{scheme}.png"), full_page=True)
    assert not watch.problems, "the browser saw:\n" + "\n".join(watch.problems)
