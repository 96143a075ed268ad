"""Real Chromium: a member's header (brand, search, every nav item, the notifications'
bell with "99+" unread) is one row on a 1280px desktop, light or dark, and still all
there on a 390px phone; so are For you's window tabs, each one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import LiveServer, serving_small_feed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERNAME = "margaret_hamilton_apollo"  # longer than most: the header must still fit
PASSWORD = "correct horse battery staple 42"

# With the widest unread count the header shows, "99+".
MAKE_MEMBER = f"""
from django.contrib.auth.models import User
from paperwire.community.models import Comment, Notification, Profile
from paperwire.papers.models import Paper
user = User.objects.create_user({USERNAME!r}, "margaret@example.org", {PASSWORD!r})
Profile.objects.create(user=user, email_verified=True)
other = User.objects.create_user("replier", "replier@example.org", {PASSWORD!r})
paper = Paper.objects.first()
mine = Comment.objects.create(paper=paper, author=user, body="Hi", body_html="<p>Hi</p>")
replies = Comment.objects.bulk_create(
    Comment(paper=paper, author=other, parent=mine, body="Yes", body_html="<p>Yes</p>")
    for _ in range(120)
)
Notification.objects.bulk_create(
    Notification(recipient=user, comment=c, reason="reply") for c in replies
)
"""

# The header row's parts and each nav item, as [top, bottom, left, right].
BOXES = """() => [...document.querySelectorAll('.header-row > *, .nav-list > li')].map(e => {
  const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; })"""


@pytest.fixture(scope="module")
def member_site(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("header-site")
    with serving_small_feed(migrated_template, data_dir, MAKE_MEMBER) as server:
        yield server


def _logged_in(browser: Any, site: LiveServer, **context: Any) -> tuple[Any, Any]:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.locator("main").get_by_label("Username").fill(USERNAME)
    page.locator("main").get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(site.url + "/")
    return ctx, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_members_header_is_one_row_at_1280(browser: Any, member_site, scheme: str) -> None:
    ctx, page = _logged_in(
        browser, member_site, viewport={"width": 1280, "height": 800}, color_scheme=scheme
    )
    try:
        nav = page.get_by_role("navigation", name="Main")
        for name in ("Daily", "Trending", "Library", USERNAME, "Notifications 99+ unread"):
            assert nav.get_by_role("link", name=name).is_visible(), name
        assert nav.get_by_role("button", name="Log out").is_visible()
        boxes = page.evaluate(BOXES)
        assert len(boxes) >= 12, boxes  # brand, search, nav and its items
        # One row: every box overlaps every other vertically.
        assert max(top for top, _, _, _ in boxes) < min(bottom for _, bottom, _, _ in boxes), boxes
        assert max(right for _, _, _, right in boxes) <= 1280
        search = page.get_by_role("searchbox", name="Search papers").bounding_box()
        assert search and search["width"] >= 120, search
    finally:
        ctx.close()


def test_a_members_header_wraps_but_fits_a_390px_phone(browser: Any, member_site) -> None:
    ctx, page = _logged_in(
        browser,
        member_site,
        viewport={"width": 390, "height": 844},
        color_scheme="dark",
    )
    try:
        nav = page.get_by_role("navigation", name="Main")
        names = ("Daily", "Submit", "Notifications 99+ unread", USERNAME)
        items = [nav.get_by_role("link", name=n) for n in names]
        for item in [*items, nav.get_by_role("button", name="Log out")]:
            box = item.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()


# Each For you window tab: its text, how many lines its words take, its top and right.
TABS = """() => [...document.querySelectorAll('.for-you .period-tabs a')].map(a => {
  const words = document.createRange();
  words.selectNodeContents(a);
  const lines = new Set([...words.getClientRects()].map(r => Math.round(r.bottom))).size;
  const r = a.getBoundingClientRect();
  return [a.innerText, lines, Math.round(r.top), r.right]; })"""


@pytest.mark.parametrize(("width", "scheme"), [(390, "dark"), (1280, "light")])
def test_for_yous_window_tabs_are_one_line_each(
    browser: Any, member_site, width: int, scheme: str
) -> None:
    ctx, page = _logged_in(
        browser, member_site, viewport={"width": width, "height": 844}, color_scheme=scheme
    )
    try:
        page.goto(member_site.url + "/for-you")
        tabs = page.evaluate(TABS)
        assert len(tabs) == 3, tabs
        # Not "Last 30 feed / days" over two lines: one line each, the three in one row.
        assert [lines for _, lines, _, _ in tabs] == [1, 1, 1], tabs
        assert len({top for _, _, top, _ in tabs}) == 1, tabs
        assert max(right for _, _, _, right in tabs) <= width, tabs
        long_names = ["Last feed day", "Last 7 feed days", "Last 30 feed days"]
        names = long_names if width > 640 else ["1 feed day", "7 feed days", "30 feed days"]
        assert [text.strip() for text, _, _, _ in tabs] == names, tabs
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()
