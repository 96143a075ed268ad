"""A member claims to be an author; a staff member approves the claim in /admin/; the
author page then shows the member."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site, log_in, sign_up, staff_page


def test_claim_approved_by_staff_shows_on_author_page(
    page: Any, new_context: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "claimant")
    log_in(page, site, "claimant")
    # A paper with named authors, from (the local) arXiv.
    page.goto(site.url + "/submit")
    page.locator("main").get_by_label("arXiv id or URL", exact=True).fill("2401.00001")
    page.locator("main").get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(site.url + "/papers/2401.00001")

    page.locator("main a[href^='/authors/']").first.click()
    page.wait_for_url(re.compile(r"/authors/\d+"))
    author_url = page.url
    author_name = page.locator("h1").inner_text()
    page.get_by_role("button", name="This is me: claim this author profile").click()
    expect(page.locator("main")).to_contain_text("Your claim to be this author is pending")

    staff = staff_page(new_context, site, "staff")
    staff.get_by_role("link", name=re.compile("Author claims", re.I)).first.click()
    row = staff.locator("#result_list tbody tr").filter(has_text=author_name)
    row.locator("input[type=checkbox]").check()
    staff.locator("select[name=action]").select_option("approve")
    staff.get_by_role("button", name="Go").click()
    expect(staff.locator("#result_list tbody tr").filter(has_text=author_name)).to_contain_text(
        "approved"
    )

    page.goto(author_url)
    expect(page.locator("main")).to_contain_text("claimant")
    expect(page.locator("main a[href='/u/claimant']")).to_be_visible()
