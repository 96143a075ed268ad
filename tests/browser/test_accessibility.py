"""axe-core (Deque's accessibility engine, the copy the axe-playwright-python wheel ships)
finds no violation on the site's pages in real Chromium: light and dark, desktop and
phone width, for a visitor and for a member. Contrast, labels, landmarks, heading order,
names of links and buttons, ARIA.

/api/docs is Swagger UI's markup: its structure (controls inside its summary buttons, no
main landmark) is its own; its colours, which the site mends in light mode
(static/paperwire/api_docs.css), are checked in both schemes."""

from __future__ import annotations

import re
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

# The first paper on `/` in six public collections of the member and a private one, changed
# last: its page has "Collections including this paper" with "and N more" (and, for the
# member, their collection marked private), and the page of them all.
COLLECT = """
from django.contrib.auth.models import User
from paperwire.community import library
from paperwire.papers.models import Paper
user = User.objects.get(username={username!r})
paper = Paper.objects.get(public_id={paper_id!r})
if not user.collections.exists():
    for n in range(7):
        shelf = library.create_collection(
            user, f"Shelf {{n}}", "Papers <b>worth</b> a second read. " * n, public=n < 6
        )
        library.add_to_collection(shelf, paper)
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
def collected(site: LiveServer) -> list[str]:
    """The paper page with its collections (see COLLECT), and the page of them all."""
    status, home = site.get("/")
    found = re.search(r'<h3 id="t-[0-9]+"><a href="/papers/([^"]+)">', home.decode())
    assert status == 200 and found, home[:500]
    script = COLLECT.format(username=USERNAME, paper_id=found.group(1))
    done = run_cli("shell", "-c", script, data_dir=site.data_dir, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return [f"/papers/{found.group(1)}", f"/papers/{found.group(1)}/collections"]


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


def _with_collections(page: Any, site: LiveServer, paths: list[str]) -> list[str]:
    """The collections section is there to be checked, not left out by a change of data."""
    page.goto(site.url + paths[0])
    assert page.locator("section.in-collections .holding-more a").count() == 1
    return paths


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
def test_a_visitors_pages(
    browser: Any, site: LiveServer, collected: list[str], axe: Any, scheme: str, width: int
):
    ctx = _context(browser, scheme, width)
    try:
        page = ctx.new_page()
        paths = VISITOR_PAGES + _pages_of_a_paper(page, site)
        paths += _with_collections(page, site, collected)
        problems = [p for path in paths for p in _problems(axe, page, site, path)]
    finally:
        ctx.close()
    assert problems == []


@pytest.mark.parametrize(("scheme", "width"), [VIEWS[1], VIEWS[2]])
def test_a_members_pages(
    browser: Any, site: LiveServer, collected: list[str], axe: Any, scheme: str, width: int
):
    ctx = _context(browser, scheme, width)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/login")
        page.locator("main").get_by_label("Username").fill(USERNAME)
        page.locator("main").get_by_label("Password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Log in").click()
        page.wait_for_url(site.url + "/")
        paths = MEMBER_PAGES + _with_collections(page, site, collected)
        # The member's own private collection is there too, marked.
        assert page.locator("section.in-collections .badge").all_inner_texts() == ["private"]
        problems = [p for path in paths for p in _problems(axe, page, site, path)]
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
