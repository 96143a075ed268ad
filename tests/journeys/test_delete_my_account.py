"""A member deletes their account: the site asks for the password (a wrong one deletes
nothing), then removes the account; their comment stays in the thread as "[deleted]"
under which another member's reply is still there, and they can no longer log in."""

from __future__ import annotations

import re
from typing import Any

from .helpers import FEED_DAY, PASSWORD, Site, log_in, sign_up


def test_delete_my_account_keeps_threads_readable(
    page: Any, new_context: Any, site: Site, watch: Any
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "dell")
    log_in(page, site, "dell")
    page.goto(site.url + FEED_DAY)
    card = page.locator("ol.cards > li.card").nth(3)
    card.locator("button.vote-button").click()
    expect(card.locator(".votes")).to_have_class(re.compile("voted"))
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url
    page.locator("main").get_by_label("Add a comment", exact=True).fill("A thought to delete")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("li.comment").filter(has_text="A thought to delete")).to_have_count(1)

    # Someone replies.
    other = new_context().new_page()
    sign_up(other, site, "bea")
    log_in(other, site, "bea")
    other.goto(paper_url)
    comment = other.locator("li.comment").filter(has_text="A thought to delete").first
    comment.get_by_text("Reply", exact=True).first.click()
    comment.get_by_label("Your reply").fill("Bea's reply stays")
    comment.get_by_role("button", name="Reply").click()
    expect(other.locator("li.comment").filter(has_text="Bea's reply stays").last).to_be_visible()

    # A wrong password deletes nothing.
    page.goto(site.url + "/settings")
    page.get_by_role("link", name="Delete my account").click()
    expect(page.locator("h1")).to_have_text("Delete your account")
    watch.expect_status(400, r"/settings/delete-account$")
    page.get_by_label("Your password").fill("not my password at all")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("main")).to_contain_text("nothing was deleted")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("h1")).to_have_text("Your account is deleted")
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()

    # The thread: "[deleted]" in place, the reply still readable; no trace of the name.
    other.goto(paper_url)
    discussion = other.locator(".discussion")
    expect(discussion).to_contain_text("[deleted]")
    expect(discussion).to_contain_text("Bea's reply stays")
    expect(discussion).not_to_contain_text("A thought to delete")
    expect(discussion).not_to_contain_text("dell")

    # The account is gone: logging in fails, the profile is not found.
    watch.expect_status(404, r"/u/dell$")
    assert other.goto(site.url + "/u/dell").status == 404
    page.goto(site.url + "/login")
    main = page.locator("main")
    main.get_by_label("Username", exact=True).fill("dell")
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(main).to_contain_text("Please enter a correct username and password")
