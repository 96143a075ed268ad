"""A member reports another member's comment; a moderator finds the report in /admin/
and hides the comment with one action; the thread then shows "[hidden by moderators]"
in its place, to everyone, its author included."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site, log_in, sign_up, staff_page

SPAM = "Cheap pills at spam dot example, buy now"


def test_a_reported_comment_is_hidden_by_a_moderator(
    page: Any, new_context: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    # One member comments on the first paper of the feed.
    sign_up(page, site, "spammer")
    log_in(page, site, "spammer")
    page.goto(site.url + "/")
    page.locator("ol.cards > li.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url.split("#")[0]
    page.locator("main").get_by_label("Add a comment", exact=True).fill(SPAM)
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("li.comment").filter(has_text=SPAM)).to_have_count(1)

    # Another reports it; their own comments have no Report link, others' have.
    reader = new_context().new_page()
    sign_up(reader, site, "vigilant")
    log_in(reader, site, "vigilant")
    reader.goto(paper_url)
    spam = reader.locator("li.comment").filter(has_text=SPAM)
    spam.get_by_role("link", name="Report").click()
    reader.wait_for_url(re.compile(r"/comments/\d+/report$"))
    expect(reader.locator("main blockquote")).to_contain_text(SPAM)
    # The browser does not send it without a reason.
    reason = reader.locator("main").get_by_label("Reason")
    assert reason.evaluate("e => e.required")
    reason.fill("Advertising, not a discussion of the paper")
    reader.get_by_role("button", name="Report to moderators").click()
    reader.wait_for_url(re.compile(re.escape(paper_url)))
    expect(reader.locator(".messages")).to_contain_text("moderators will look at this comment")

    # A moderator hides it from the list of reports.
    staff = staff_page(new_context, site, "moderator")
    staff.get_by_role("link", name=re.compile("Comment reports", re.I)).first.click()
    row = staff.locator("#result_list tbody tr").filter(has_text="Cheap pills")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Advertising")
    row.locator("input[type=checkbox]").check()
    staff.locator("select[name=action]").select_option("hide_reported")
    staff.get_by_role("button", name="Go").click()
    expect(staff.locator(".messagelist")).to_contain_text("hid")

    # Gone for the reader, for a visitor and for its author, who sees the same marker.
    for viewer in (reader, page, new_context().new_page()):
        viewer.goto(paper_url)
        main = viewer.locator("main")
        expect(main).not_to_contain_text(SPAM)
        expect(main).to_contain_text("[hidden by moderators]")
