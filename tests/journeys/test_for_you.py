"""A member's For you: trending at first; the topics they choose for their digest come
first; after three upvotes and saves the ranking learns, says why each paper is there,
and changes with the next save; the digest picks for them too, and their personal feed
(a signed URL) follows the same ranking."""

from __future__ import annotations

import re
from typing import Any

import feedparser

from .helpers import Site, log_in, mail_parts, sign_up, wait_for_vectors

DEMO_DAY = "daily:2026-06-11"


def test_for_you_cold_start_topics_learning_digest_and_feed(
    page: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "fay")
    log_in(page, site, "fay")
    page.get_by_role("link", name="For you", exact=True).click()
    expect(page.locator("h1")).to_have_text("For you")
    note = page.locator(".for-you-note")
    expect(note).to_contain_text("Upvote or save 3 papers")
    expect(note).to_contain_text("trending papers")
    expect(page.locator("p.why").first).to_contain_text("trending")

    # Topics, chosen for the digest: a member's subscription is active at once.
    note.get_by_role("link", name="Choose topics").click()
    page.locator(".digest-settings").get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Your subscription")
    main = page.locator("main")
    main.get_by_label("Saved searches").fill("reinforcement learning")
    main.get_by_label("Add papers picked for you").check()
    main.get_by_role("button", name="Save preferences").click()
    expect(main).to_contain_text("Your preferences are saved.")
    page.goto(site.url + "/for-you")
    expect(page.locator(".for-you-note")).to_contain_text("matching the topics you chose")
    expect(page.locator("p.why").first).to_contain_text(
        "matches your saved search “reinforcement learning”"
    )

    # Three positives: two upvotes and a save, from the cards of the feed. The rankings
    # compared below are made once the worker has embedded the demo papers.
    wait_for_vectors(site)
    page.goto(site.url + "/?date=2026-06-11")
    cards = page.locator("ol.cards > li.card")
    liked = [cards.nth(i).locator("h3 a").inner_text() for i in range(3)]
    cards.nth(0).locator("button.vote-button").click()
    expect(cards.nth(0).locator(".votes")).to_have_class(re.compile("voted"))
    cards.nth(1).locator("button.vote-button").click()
    expect(cards.nth(1).locator(".votes")).to_have_class(re.compile("voted"))
    cards.nth(2).get_by_role("button", name=re.compile("^Save to your library")).click()
    expect(cards.nth(2).locator(".save-button")).to_have_text("★ Saved")

    page.goto(site.url + "/for-you")
    expect(page.locator(".for-you-note")).to_contain_text("ranked by what you upvoted, saved")
    shown = page.locator("ol.cards > li.card h3 a")
    before = shown.all_inner_texts()
    assert not set(liked) & set(before), "what the member has is not recommended back"
    why = page.locator("p.why").first
    expect(why).to_contain_text(re.compile(r"like “.+” you (upvoted|saved)"))
    assert why.locator("a").inner_text() in liked

    # The next save changes the next ranking.
    top = page.locator("ol.cards > li.card").first
    top.get_by_role("button", name=re.compile("^Save to your library")).click()
    expect(top.locator(".save-button")).to_have_text("★ Saved")
    page.reload()
    after = page.locator("ol.cards > li.card h3 a").all_inner_texts()
    assert after != before and before[0] not in after

    # The personal feed, as a feed reader reads it (no cookie).
    feed_href = page.locator("main").get_by_role("link", name="Atom").get_attribute("href")
    assert feed_href and feed_href.startswith("/feeds/for-you/")
    status, body = site.fetch(feed_href)
    parsed = feedparser.parse(body)
    assert status == 200 and not parsed.bozo and parsed.feed.title == "For you"
    assert [e.title for e in parsed.entries[:5]] == after[:5]
    page.reload()
    again = page.locator("main").get_by_role("link", name="Atom").get_attribute("href")
    assert again == feed_href, "the page links one address a reader subscribes to once"

    # The digest picks for the member.
    site.cli("digest", "send", "--frequency", "daily", "--period", DEMO_DAY)
    digest = site.mail.wait_for("fay@example.org", subject="trending papers")
    text, html = mail_parts(digest)
    assert "Picked for you" in text and "Picked for you" in html
    assert re.search(r"Why: like “.+” you (upvoted|saved)", text), text
