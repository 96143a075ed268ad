"""A person signs up, verifies the address through the mail's link, logs in, upvotes and
takes it back in place, comments in Markdown, replies, edits, deletes (after confirming)
and logs out."""

from __future__ import annotations

import re
import time
from typing import Any

from .helpers import Site, log_in, sign_up


def test_sign_up_upvote_comment_reply_edit_delete_log_out(
    page: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "marie")
    log_in(page, site, "marie")

    # Upvote and take it back: the count changes in place, the page is not reloaded.
    page.goto(site.url + "/")
    card = page.locator("ol.cards > li.card").first
    before = int(card.locator(".votes .n").inner_text())
    page.evaluate("window.__sameDocument = true")
    card.locator("button.vote-button").click()
    expect(card.locator(".votes .n")).to_have_text(str(before + 1))
    card.locator("button.vote-button").click()
    expect(card.locator(".votes .n")).to_have_text(str(before))
    assert page.evaluate("window.__sameDocument === true"), "the vote reloaded the page"

    # Comment in Markdown.
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url.split("#")[0]
    page.locator("main").get_by_label("Add a comment", exact=True).fill("Clear and *useful*")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("li.comment").filter(has_text="Clear and useful").first
    expect(comment.locator(".comment-body em")).to_have_text("useful")

    # Reply to it.
    comment.get_by_text("Reply", exact=True).first.click()
    comment.get_by_label("Your reply").fill("A reply with **bold** words")
    comment.get_by_role("button", name="Reply").click()
    reply = page.locator("li.comment").filter(has_text="A reply with bold words").last
    expect(reply.locator(".comment-body strong")).to_have_text("bold")

    # Edit the reply.
    reply.get_by_role("link", name="Edit").click()
    body = page.locator("main textarea").first
    body.fill("An edited reply with `code`")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(re.escape(paper_url)))
    edited = page.locator("li.comment").filter(has_text="An edited reply with code").last
    expect(edited.locator(".comment-body code")).to_have_text("code")
    expect(edited.locator(".comment-meta")).to_contain_text("edited")

    # Delete it: the site asks first (a dialog, or a page with a button to confirm).
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    edited.get_by_role("link", name="Delete").click()
    deleted_unasked = page.locator(".messages").filter(has_text="deleted")
    deadline = time.monotonic() + 30
    while not (asked or "/delete" in page.url or deleted_unasked.count()):
        assert time.monotonic() < deadline, "clicking Delete did nothing"
        page.wait_for_timeout(100)  # lets Playwright deliver the dialog or the navigation
    if not asked:
        assert "/delete" in page.url, f"deleting did not ask for confirmation ({page.url})"
        assert page.url.endswith("/delete"), f"not a clean address: {page.url}"
        page.locator("main").get_by_role("button", name=re.compile("Delete")).click()
    page.wait_for_url(re.compile(re.escape(paper_url)))
    expect(page.locator(".messages")).to_contain_text("deleted")
    expect(page.locator("main")).not_to_contain_text("An edited reply with code")
    expect(page.locator("main")).to_contain_text("Clear and useful")

    # Log out: GET /logout shows a button, which logs out.
    page.goto(site.url + "/logout")
    page.locator("main").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.locator("a.nav-user")).to_have_count(0)
