"""With no PAPERWIRE_EMAIL_HOST, a person signs up and verifies through the mail that
`paperwire serve` wrote as an .eml file in $PAPERWIRE_DATA_DIR/mail/."""

from __future__ import annotations

from typing import Any

from .helpers import PASSWORD, Site, link_to


def test_sign_up_and_verify_from_the_mail_folder(page: Any, file_mail_site: Site) -> None:
    from playwright.sync_api import expect

    site = file_mail_site
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign up").click()
    main = page.locator("main")
    main.get_by_label("Username", exact=True).fill("noor")
    main.get_by_label("Email", exact=True).fill("noor@example.org")
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")

    mail = site.mail.wait_for("noor@example.org")
    names = sorted(path.name for path in (site.data_dir / "mail").glob("*.eml"))
    assert names, "no .eml file in the mail folder"
    link = link_to(mail, "/verify/")
    assert link.startswith(site.url + "/"), f"{link} is not on {site.url}"
    # The console says where mail goes, and names each mail with its links.
    log = site.log.read_text()
    assert f"written as an .eml file to {site.data_dir / 'mail'}" in log, log
    assert "PAPERWIRE_EMAIL_HOST" in log
    logged = [line for line in log.splitlines() if "mail to noor@example.org" in line]
    assert logged and link in logged[0] and str(mail["Subject"]) in logged[0], log
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Your address is confirmed")

    page.goto(site.url + "/login")
    main.get_by_label("Username", exact=True).fill("noor")
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(page.locator("a.nav-user")).to_have_text("noor")
