"""A person subscribes from the header box, confirms through the mail's link, changes
preferences, reads the personal feed, and unsubscribes from a digest both ways: one
click (RFC 8058: POST List-Unsubscribe=One-Click) and the link in the body."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site, link_to, mail_links

EMAIL = "reader@example.org"
DEMO_DAY = "daily:2026-06-11"


def test_subscribe_confirm_change_preferences_feed_unsubscribe(
    page: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    import feedparser
    from playwright.sync_api import expect

    page.goto(site.url + "/")
    strip = page.get_by_role("form", name="Subscribe to the digest")
    strip.get_by_label("Get trending papers in your email inbox!").fill(EMAIL)
    strip.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(r"/subscribe"))
    main = page.locator("main")
    expect(main.get_by_label("E-mail address")).to_have_value(EMAIL)
    main.get_by_role("radio", name="Daily").check()
    main.get_by_role("button", name="Subscribe").click()
    expect(main).to_contain_text(EMAIL)

    confirm = link_to(site.mail.wait_for(EMAIL), "/digests/confirm/")
    assert confirm.startswith(site.url + "/"), f"{confirm} is not on {site.url}"
    page.goto(confirm)
    page.get_by_role("button", name="Yes, confirm my subscription").click()
    expect(page.locator("h1")).to_have_text("Your subscription")
    # A page reached by a redirect, so reloading it does not send the form again.
    assert "/digests/manage/" in page.url, page.url
    page.reload()
    expect(main).to_contain_text("your subscription is confirmed")
    expect(main).to_contain_text("daily digests")

    # Preferences: weekly, with a saved search.
    main.get_by_role("radio", name="Weekly").check()
    main.get_by_label("Saved searches").fill("attention")
    main.get_by_role("button", name="Save preferences").click()
    expect(main).to_contain_text("Your preferences are saved.")
    expect(main).to_contain_text("weekly digests")
    expect(main.get_by_role("radio", name="Weekly")).to_be_checked()
    expect(main.get_by_label("Saved searches")).to_have_value("attention")
    manage_url = page.url

    # The personal feed, as a feed reader reads it.
    feed_url = main.locator("a[href*='/feeds/subscription/']").first.get_attribute("href")
    assert feed_url
    assert feed_url.startswith(site.url + "/"), f"{feed_url} is not on {site.url}"
    response = page.request.get(feed_url if feed_url.startswith("http") else site.url + feed_url)
    assert response.status == 200
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.get("title")

    # Back to daily, and a digest goes out.
    main.get_by_role("radio", name="Daily").check()
    main.get_by_role("button", name="Save preferences").click()
    expect(main).to_contain_text("daily digests")
    site.cli("digest", "send", "--frequency", "daily", "--period", DEMO_DAY)
    digest = site.mail.wait_for(EMAIL, seen=1)
    header = str(digest["List-Unsubscribe"])
    assert str(digest["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    one_click = re.search(r"<(https?://[^>]+)>", header)
    assert one_click, header
    assert one_click.group(1).startswith(site.url + "/"), header
    elsewhere = [link for link in mail_links(digest) if not link.startswith(site.url + "/")]
    assert not elsewhere, f"digest links not on {site.url}: {elsewhere}"

    # The link in the body asks before it unsubscribes.
    page.goto(link_to(digest, "/digests/unsubscribe/"))
    expect(page.locator("h1")).to_have_text("Unsubscribe")
    expect(main.get_by_role("button", name="Unsubscribe")).to_be_visible()

    # One click, as a mail client does it: a POST with no cookie and no CSRF token.
    status, body = site.fetch(
        one_click.group(1),
        data=b"List-Unsubscribe=One-Click",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body[:500]
    page.goto(manage_url)
    expect(main).to_contain_text("unsubscribed")

    # The body's link still answers, without an error, for an address already gone.
    page.goto(link_to(digest, "/digests/unsubscribe/"))
    expect(main).to_contain_text("unsubscribed")
