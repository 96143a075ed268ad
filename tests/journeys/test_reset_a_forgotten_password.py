"""A person who forgot the password asks for a reset, follows the mail's link, sets a new
password and logs in with it."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site, link_to, log_in, sign_up

NEW_PASSWORD = "a new and long enough passphrase 7"


def test_forgot_password_reset_by_mail_log_in(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "forgetful")
    page.goto(site.url + "/login")
    page.locator("main").get_by_role("link", name=re.compile("forgot", re.I)).click()
    page.locator("main").get_by_label(re.compile("e-?mail", re.I)).fill("forgetful@example.org")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(re.compile(r"/password-reset/sent"))

    link = link_to(site.mail.wait_for("forgetful@example.org", seen=1), "/reset/")
    assert link.startswith(site.url + "/"), f"{link} is not on {site.url}"
    page.goto(link)
    main = page.locator("main")
    main.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    main.get_by_label("New password confirmation", exact=True).fill(NEW_PASSWORD)
    main.get_by_role("button", name="Set password").click()
    page.wait_for_url(re.compile(r"/reset/done"))
    expect(main).to_contain_text(re.compile("password", re.I))

    log_in(page, site, "forgetful", NEW_PASSWORD)
