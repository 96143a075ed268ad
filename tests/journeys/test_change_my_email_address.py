"""A member moves to a new e-mail address: asks for it in Settings with the password,
reads the notice at the old address and the link at the new one, confirms, and from then
on the account's mail (here a password reset) goes to the new address only."""

from __future__ import annotations

import re
from typing import Any

from .helpers import PASSWORD, Site, link_to, log_in, mail_links, mail_parts, sign_up

OLD = "mover@example.org"
NEW = "mover.elsewhere@example.org"


def test_change_my_email_address_then_reset_goes_there(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "mover")
    log_in(page, site, "mover")
    page.goto(site.url + "/settings")
    expect(page.locator("main")).to_contain_text(f"Signed in as @mover ({OLD})")
    page.get_by_role("link", name="Change your e-mail address").click()
    expect(page.locator("h1")).to_have_text("Change your e-mail address")
    main = page.locator("main")
    main.get_by_label("New e-mail address").fill(NEW)
    main.get_by_label("Your password").fill(PASSWORD)
    main.get_by_role("button", name="Send the confirmation link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    expect(main).to_contain_text(NEW)

    # The old address is told, and nothing in its mail changes anything.
    notice = site.mail.wait_for(OLD, "was asked for")
    text, _ = mail_parts(notice)
    assert NEW in text and "@mover" in text and "Nothing has changed yet" in text
    assert not [link for link in mail_links(notice) if "/confirm/" in link or "/reset/" in link]

    # The new address gets the link; until it is followed the account keeps the old one.
    invite = site.mail.wait_for(NEW, "Confirm your new")
    text, _ = mail_parts(invite)
    assert "@mover" in text and "24 hours" in text
    link = link_to(invite, "/settings/email/confirm/")
    assert link.startswith(site.url + "/"), f"{link} is not on {site.url}"
    page.goto(site.url + "/settings")
    expect(page.locator("main")).to_contain_text(f"({OLD})")
    expect(page.locator("main")).to_contain_text(f"Changing to {NEW}")

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirm your new address")
    expect(main).to_contain_text(NEW)
    main.get_by_role("button", name="Yes, use this address").click()
    expect(page.locator("h1")).to_have_text("Your address is changed")
    expect(main).to_contain_text(f"The account @mover now uses {NEW}")
    changed = site.mail.wait_for(OLD, "was changed")
    assert NEW in mail_parts(changed)[0]

    page.goto(site.url + "/logout")
    main.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    log_in(page, site, "mover")
    page.goto(site.url + "/settings")
    expect(page.locator("main")).to_contain_text(f"Signed in as @mover ({NEW})")

    # A reset asked for with either address reaches the new one only.
    page.goto(site.url + "/logout")
    main.get_by_role("button", name="Log out").click()
    for address in (OLD, NEW):
        page.goto(site.url + "/password-reset")
        main.get_by_label(re.compile("e-?mail", re.I)).fill(address)
        page.get_by_role("button", name="Send the link").click()
        page.wait_for_url(re.compile(r"/password-reset/sent"))
    reset = site.mail.wait_for(NEW, "Set a new")
    assert "/reset/" in link_to(reset, "/reset/")
    # The mail thread does requests in order: the old address's came first, and sent nothing.
    assert not [m for m in site.mail.all() if OLD in str(m["To"]) and "password" in m["Subject"]]
