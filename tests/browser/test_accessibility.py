"""axe-core (Deque's accessibility engine, the copy the axe-playwright-python wheel ships)
finds no violation on the site's pages in real Chromium: light and dark, desktop and
phone width, for a visitor and for a member. Contrast, labels, landmarks, heading order,
names of links and buttons, ARIA.

/api/docs is Swagger UI's markup: its structure (controls inside its summary buttons, no
main landmark) is its own; its colours, which the site mends in light mode
(static/paperwire/api_docs.css), are checked in both schemes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support import LiveServer, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERNAME = "axe_reader"
PASSWORD = "an accessible passphrase 31"

# The member has a notification, read and unread ones look different: someone replied to
# their comment on the feed's oldest paper (not one a visitor's page test picks first).
MAKE_MEMBER = f"""
from django.contrib.auth.models import User
from paperwire.community import actions
from paperwire.community.models import Profile
from paperwire.papers.models import FeedEntry
if not User.objects.filter(username={USERNAME!r}).exists():
    user = User.objects.create_user({USERNAME!r}, "axe@example.org", {PASSWORD!r})
    Profile.objects.create(user=user, email_verified=True)
    other = User.objects.create_user("axe_replier", "axe2@example.org", {PASSWORD!r})
    Profile.objects.create(user=other, email_verified=True)
    paper = FeedEntry.objects.order_by("feed_date", "pk").first().paper
    mine = actions.add_comment(user, paper, "Which data did you train on?", None)
    actions.add_comment(other, paper, "The *public* part, see section 3.", mine)
    actions.add_comment(other, paper, "And the rest is [here](https://example.org).", mine)
    user.notifications.filter(pk=user.notifications.order_by("pk").first().pk).update(
        read_at=mine.created
    )
"""

VISITOR_PAGES = [
    "/",
    "/week/2026-W02",
    "/month/2026-01",
    "/trending",
    "/search?q=language+models",
    "/orgs",
    "/about",
    "/login",
    "/signup",
    "/password-reset",
    "/subscribe",
    "/no-such-page",
]
MEMBER_PAGES = [
    "/",
    "/settings",
    "/settings/email",
    "/settings/password",
    "/settings/delete-account",
    "/notifications",
    "/library",
    "/for-you",
    f"/u/{USERNAME}",
    "/submit",
]
VIEWS = [
    pytest.param("light", 1280, id="light-1280"),
    pytest.param("dark", 1280, id="dark-1280"),
    pytest.param("light", 390, id="light-390"),
    pytest.param("dark", 390, id="dark-390"),
]


@pytest.fixture(scope="module")
def site(live_paperwire: LiveServer) -> Iterator[LiveServer]:
    done = run_cli("shell", "-c", MAKE_MEMBER, data_dir=live_paperwire.data_dir, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    yield live_paperwire


@pytest.fixture(scope="module")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _pages_of_a_paper(page: Any, site: LiveServer) -> list[str]:
    """A paper page, and an organization page a byline links to, from the feeds."""
    page.goto(site.url + "/")
    paper = page.locator("ol.cards > li.card h3 a").first.get_attribute("href")
    page.goto(site.url + "/orgs")
    org = page.locator("main a[href^='/orgs/']").first.get_attribute("href")
    return [paper, org]


def _problems(axe: Any, page: Any, site: LiveServer, path: str) -> list[str]:
    response = page.goto(site.url + path)
    assert response is not None
    page.wait_for_load_state("load")
    found = axe.run(page).response["violations"]
    return [
        f"{path}: {v['id']} ({v['impact']}) at {node['target']}: {v['help']}"
        for v in found
        for node in v["nodes"][:3]
    ]


def _context(browser: Any, scheme: str, width: int) -> Any:
    return browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})


@pytest.mark.parametrize(("scheme", "width"), VIEWS)
def test_a_visitors_pages(browser: Any, site: LiveServer, axe: Any, scheme: str, width: int):
    ctx = _context(browser, scheme, width)
    try:
        page = ctx.new_page()
        paths = VISITOR_PAGES + _pages_of_a_paper(page, site)
        problems = [p for path in paths for p in _problems(axe, page, site, path)]
    finally:
        ctx.close()
    assert problems == []


@pytest.mark.parametrize(("scheme", "width"), [VIEWS[1], VIEWS[2]])
def test_a_members_pages(browser: Any, site: LiveServer, axe: Any, scheme: str, width: int):
    ctx = _context(browser, scheme, width)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/login")
        page.locator("main").get_by_label("Username").fill(USERNAME)
        page.locator("main").get_by_label("Password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Log in").click()
        page.wait_for_url(site.url + "/")
        problems = [p for path in MEMBER_PAGES for p in _problems(axe, page, site, path)]
    finally:
        ctx.close()
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_api_docs_read_in_both_schemes(browser: Any, site: LiveServer, axe: Any, scheme: str):
    # Swagger UI's own structure (controls inside its summary buttons, no main landmark)
    # is its own; its colours on this site are checked.
    ctx = _context(browser, scheme, 1280)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/api/docs")
        page.locator(".swagger-ui .opblock").first.wait_for()
        page.locator(".swagger-ui .opblock-summary").first.click()  # one operation open
        page.locator(".swagger-ui .opblock-body").first.wait_for()
        found = axe.run(page, options={"runOnly": ["color-contrast"]}).response["violations"]
    finally:
        ctx.close()
    problems = [f"{n['target']}: {n['failureSummary'][:120]}" for v in found for n in v["nodes"]]
    assert problems == []
