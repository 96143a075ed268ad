"""The whole member journey in real Chromium against the real server and a real SMTP
server: sign up → verification mail → follow the link → log in → upvote → comment →
submit a paper."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import PASSWORD, Mailbox, Site
from .live import shell, verification_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PAPER = "2409.00042"


def test_sign_up_verify_log_in_upvote_comment_submit(
    page: Any, community_site: Site, smtp_server: Mailbox
) -> None:
    from playwright.sync_api import expect

    base = community_site.url
    # A paper the database knows (as if fetched from arXiv) but the feed does not show yet.
    shell(
        community_site,
        "from paperwire.papers.models import Paper; Paper.objects.get_or_create("
        f"public_id={NEW_PAPER!r}, arxiv_id={NEW_PAPER!r}, "
        "defaults={'title': 'Attention Is Still All You Need', 'title_key': 'attention'})",
    )

    # Sign up.
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    page.locator("main").get_by_label("Username", exact=True).fill("marie")
    page.locator("main").get_by_label("Email", exact=True).fill("marie@example.org")
    page.locator("main").get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")

    # The verification mail reaches the SMTP server; follow its link.
    page.goto(verification_link(smtp_server, "marie@example.org"))
    expect(page.locator("h1")).to_have_text("Your address is confirmed")

    # An anonymous ▲ click leads to log in, and back to the feed page.
    page.goto(base + "/")
    card = page.locator("ol.cards > li.card").first
    before = int(card.locator(".votes .n").inner_text())
    card.locator(".votes .vote-button").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    page.locator("main").get_by_label("Username", exact=True).fill("marie")
    page.locator("main").get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    expect(page.locator("a.nav-user")).to_have_text("marie")

    # Upvote in place (htmx), then take it back.
    card = page.locator("ol.cards > li.card").first
    url_before = page.url
    card.locator("button.vote-button").click()
    expect(card.locator(".votes")).to_have_class(re.compile(r"\bvoted\b"))
    expect(card.locator(".votes .n")).to_have_text(str(before + 1))
    assert page.url == url_before  # swapped in place, no navigation
    card.locator("button.vote-button").click()
    expect(card.locator(".votes")).not_to_have_class(re.compile(r"\bvoted\b"))
    expect(card.locator(".votes .n")).to_have_text(str(before))
    card.locator("button.vote-button").click()
    expect(card.locator(".votes .n")).to_have_text(str(before + 1))

    # Comment on the paper.
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    page.locator("main").get_by_label("Add a comment", exact=True).fill(
        "Clear and *useful* <script>alert(1)</script>"
    )
    page.get_by_role("button", name="Comment", exact=True).click()
    # Other tests on this session's server may have commented on the same paper.
    comment = page.locator("li.comment", has_text="Clear and useful").first
    expect(comment.locator(".comment-body em")).to_have_text("useful")
    expect(comment.locator(".comment-body")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("#comments-heading")).to_contain_text("1 comment")

    # Submit a paper by its arXiv URL: it joins today's feed, submitted by marie.
    page.get_by_role("link", name="Submit").click()
    page.locator("main").get_by_label("arXiv id or URL", exact=True).fill("not an id")
    page.locator("main").get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".field-error")).to_contain_text("is not an arXiv id")
    page.locator("main").get_by_label("arXiv id or URL", exact=True).fill(
        f"https://arxiv.org/abs/{NEW_PAPER}v1"
    )
    page.locator("main").get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(base + f"/papers/{NEW_PAPER}")
    expect(page.locator(".messages")).to_contain_text("the paper is in today's feed")
    expect(page.locator(".facts")).to_contain_text("marie")

    # Their profile shows all of it.
    page.locator("a.nav-user").click()
    expect(page.locator("h1")).to_have_text("marie")
    expect(page.locator("main")).to_contain_text("Attention Is Still All You Need")
    expect(page.locator(".profile-comments em")).to_have_text("useful")
