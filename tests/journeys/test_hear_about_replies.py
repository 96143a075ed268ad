"""A member comments; another replies in their own browser. The first sees the unread
count in the header, opens /notifications, follows the entry to the reply, and finds
the mail about it (over SMTP) with a link that leads there too. They turn these mails
off in Settings: the next reply is a notification on the site, and no mail.

A member mentions another (@username) in a comment: the name is a link to their
profile, and the member mentioned gets the notification and the mail, on a desktop
and on a phone in dark mode (screenshots in tests/journeys/artifacts/mention-*)."""

from __future__ import annotations

import re
from typing import Any

from .helpers import (
    ARTIFACTS,
    FEED_DAY,
    Site,
    link_to,
    log_in,
    mail_parts,
    page_width,
    sign_up,
)

ASKER, REPLIER = "hana_asks", "omar_answers"
REPLY_MAILS = (
    "from paperwire.mail.models import Mail; "
    f"print(Mail.objects.filter(kind='reply', to_email='{ASKER}@example.org').count())"
)


def test_a_reply_is_a_notification_and_a_mail_until_mails_are_off(
    page: Any, new_context: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, ASKER)
    log_in(page, site, ASKER)
    bell = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Notifications")
    )
    expect(bell).to_have_accessible_name("Notifications")  # nothing unread yet

    # Hana asks a question under a paper of the feed.
    page.goto(site.url + FEED_DAY)
    page.locator("ol.cards > li.card h3 a").nth(3).click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url.split("#")[0]
    title = page.locator("h1").inner_text()
    page.locator("main").get_by_label("Add a comment", exact=True).fill("Which batch size?")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("li.comment").filter(has_text="Which batch size?")).to_be_visible()

    # Omar replies, in his own browser.
    omar = new_context().new_page()
    sign_up(omar, site, REPLIER)
    log_in(omar, site, REPLIER)
    omar.goto(paper_url)
    question = omar.locator("li.comment").filter(has_text="Which batch size?").first
    question.get_by_text("Reply", exact=True).first.click()
    question.get_by_label("Your reply").fill("**512**, see <b>table 3</b>")
    question.get_by_role("button", name="Reply").click()
    expect(omar.locator(".comment-body strong").filter(has_text="512")).to_be_visible()

    # Hana's header counts it, as text: "1 unread", not a colour.
    page.goto(site.url + "/")
    expect(bell).to_have_accessible_name("Notifications 1 unread")
    expect(bell.locator(".nav-count")).to_have_text("1 unread")
    bell.click()
    page.wait_for_url(site.url + "/notifications")
    entry = page.locator("li.notification").first
    expect(entry).to_have_class(re.compile(r"\bunread\b"))
    expect(entry).to_contain_text(f"{REPLIER} replied to your comment on {title}")
    expect(entry.locator(".notification-excerpt")).to_have_text("512, see <b>table 3</b>")

    # The entry leads to the reply; the count is gone.
    entry.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(re.escape(paper_url) + r"#c\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    expect(page.locator(f"li#{anchor} .comment-body")).to_contain_text("512, see <b>table 3</b>")
    expect(bell).to_have_accessible_name("Notifications")

    # The mail: sanitized words, a link to the reply, and a one-click way to stop them.
    mail = site.mail.wait_for(f"{ASKER}@example.org", "replied to your comment")
    # (A long non-ASCII subject is folded after "Subject:"; unfolding leaves a space.)
    assert str(mail["Subject"]).strip() == f"{REPLIER} replied to your comment on “{title}”"
    text, markup = mail_parts(mail)
    assert "512, see <b>table 3</b>" in text and "**" not in text
    assert "<b>table" not in markup and "&lt;b&gt;table 3&lt;/b&gt;" in markup
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert "/notifications/mail-off/" in str(mail["List-Unsubscribe"])
    link = link_to(mail, f"#{anchor}")
    assert link == f"{paper_url}#{anchor}", link
    page.goto(link)
    expect(page.locator(f"li#{anchor}")).to_contain_text(REPLIER)

    # Hana turns these mails off in Settings.
    page.goto(site.url + "/settings")
    box = page.get_by_label("E-mail me when someone replies")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.locator(".messages")).to_contain_text("no e-mail when someone replies")
    expect(page.get_by_label("E-mail me when someone replies")).not_to_be_checked()

    # Omar replies again: a notification, and no mail (none was even queued).
    omar.goto(paper_url)
    question = omar.locator("li.comment").filter(has_text="Which batch size?").first
    question.get_by_text("Reply", exact=True).first.click()
    # The question's own form comes first; the first reply's is nested below it.
    question.get_by_label("Your reply").first.fill("Also: warm-up for 2k steps.")
    question.get_by_role("button", name="Reply").first.click()
    expect(omar.locator(".comment-body").filter(has_text="warm-up")).to_be_visible()

    page.goto(site.url + "/notifications")
    expect(bell).to_have_accessible_name("Notifications 1 unread")
    expect(page.locator("li.notification")).to_have_count(2)
    expect(page.locator("li.notification.unread")).to_contain_text("warm-up for 2k steps")
    assert site.cli("shell", "-c", REPLY_MAILS).split()[-1] == "1"
    to_hana = [m for m in site.mail.all() if str(m["To"]) == f"{ASKER}@example.org"]
    assert ["replied to your comment" in str(m["Subject"]) for m in to_hana] == [False, True]

    # Mark all as read: the count goes.
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(bell).to_have_accessible_name("Notifications")


MENTIONED, MENTIONER = "lena_mentioned", "kai_mentions"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"}
PHONE_DARK = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "color_scheme": "dark",
}


def test_a_member_mentioned_gets_the_notification_and_the_mail(
    page: Any, new_context: Any, site: Site
) -> None:
    from playwright.sync_api import expect

    lena = new_context(**DESKTOP).new_page()
    sign_up(lena, site, MENTIONED)
    log_in(lena, site, MENTIONED)

    # Kai mentions her under a paper; a name with no account, and code, stay text.
    sign_up(page, site, MENTIONER)
    log_in(page, site, MENTIONER)
    page.goto(site.url + FEED_DAY)
    page.locator("ol.cards > li.card h3 a").nth(5).click()
    page.wait_for_url(re.compile(r"/papers/"))
    paper_url = page.url.split("#")[0]
    title = page.locator("h1").inner_text()
    words = f"Have you tried this on your data, @{MENTIONED}? Not `@{MENTIONED}`, nor @nobody_here."
    page.locator("main").get_by_label("Add a comment", exact=True).fill(words)
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("li.comment").filter(has_text="Have you tried this").first
    mention = comment.locator(".comment-body a.mention")
    expect(mention).to_have_count(1)
    expect(mention).to_have_text(f"@{MENTIONED}")
    expect(comment.locator(".comment-body")).to_contain_text("nor @nobody_here.")
    expect(comment.locator(".comment-body code")).to_have_text(f"@{MENTIONED}")
    mention.click()
    page.wait_for_url(site.url + f"/u/{MENTIONED}")
    expect(page.locator("h1")).to_contain_text(MENTIONED)

    # Lena's header counts it; /notifications says who mentioned her, where.
    lena.goto(site.url + "/")
    bell = lena.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Notifications")
    )
    expect(bell).to_have_accessible_name("Notifications 1 unread")
    bell.click()
    lena.wait_for_url(site.url + "/notifications")
    entry = lena.locator("li.notification").first
    expect(entry).to_contain_text(f"{MENTIONER} mentioned you on {title}")
    expect(entry.locator(".notification-excerpt")).to_contain_text(f"@{MENTIONED}?")
    ARTIFACTS.mkdir(exist_ok=True)
    lena.screenshot(path=str(ARTIFACTS / "mention-notifications-desktop.png"), full_page=True)
    # On a phone, in dark mode, still unread: the same, and nothing scrolls sideways.
    phone = new_context(**PHONE_DARK).new_page()
    log_in(phone, site, MENTIONED)
    phone.goto(site.url + "/notifications")
    expect(phone.locator("li.notification.unread")).to_contain_text("mentioned you")
    assert page_width(phone, 390) <= 390, "/notifications is wider than the phone"
    phone.screenshot(path=str(ARTIFACTS / "mention-notifications-phone-dark.png"), full_page=True)

    entry.get_by_role("link", name=title).click()
    lena.wait_for_url(re.compile(re.escape(paper_url) + r"#c\d+$"))
    anchor = lena.url.rsplit("#", 1)[1]
    mentioned_in = lena.locator(f"li#{anchor}")
    expect(mentioned_in.locator("a.mention")).to_have_text(f"@{MENTIONED}")
    mentioned_in.scroll_into_view_if_needed()
    mentioned_in.screenshot(path=str(ARTIFACTS / "mention-comment-desktop.png"))

    # The mail: who mentioned her, the words as text, a link to the comment.
    mail = site.mail.wait_for(f"{MENTIONED}@example.org", "mentioned you")
    assert str(mail["Subject"]).strip() == f"{MENTIONER} mentioned you on “{title}”"
    text, markup = mail_parts(mail)
    quoted = " ".join(line[2:] for line in text.splitlines() if line.startswith("> "))
    assert f"@{MENTIONED}? Not @{MENTIONED}, nor @nobody_here." in quoted
    assert "because someone mentioned you in a comment" in text
    assert f"@{MENTIONED}? Not" in markup and 'class="mention"' not in markup, "words as text"
    assert link_to(mail, f"#{anchor}") == f"{paper_url}#{anchor}"

    phone.goto(f"{paper_url}#{anchor}")
    shown = phone.locator(f"li#{anchor}")
    expect(shown.locator("a.mention")).to_be_visible()
    assert page_width(phone, 390) <= 390, "the paper page is wider than the phone"
    shown.screenshot(path=str(ARTIFACTS / "mention-comment-phone-dark.png"))
