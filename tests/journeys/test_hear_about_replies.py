"""A member comments; another replies in their own browser. The first sees the unread
count in the header, opens /notifications, follows the entry to the reply, and finds
the mail about it (over SMTP) with a link that leads there too. They turn these mails
off in Settings: the next reply is a notification on the site, and no mail."""

from __future__ import annotations

import re
from typing import Any

from .helpers import FEED_DAY, Site, link_to, log_in, mail_parts, sign_up

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
