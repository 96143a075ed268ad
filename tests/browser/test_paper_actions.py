"""Real Chromium: a paper page's upvote box, ☆ Save and "Add to a collection" for a member
on a 1280px desktop; opening the collection panel moves neither the vote nor Save, and
"Add to a collection" is centred on the vote box, closed or open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import LiveServer, serving_small_feed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERNAME = "rosalind"
PASSWORD = "correct horse battery staple 42"

MAKE_MEMBER = f"""
from django.contrib.auth.models import User
from paperwire.community.models import Collection, Profile
user = User.objects.create_user({USERNAME!r}, "rosalind@example.org", {PASSWORD!r})
Profile.objects.create(user=user, email_verified=True)
Collection.objects.create(owner=user, name="Reading group for Thursday evenings")
"""

# [top, bottom] of the upvote box and of Save.
BOXES = """() => ['.paper-vote .votes', '.paper-vote .save'].map(s => {
  const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.bottom]; })"""

# [top, bottom] of the words "Add to a collection" (not of their box), and of the vote box.
SUMMARY = """() => {
  const words = document.createRange();
  words.selectNodeContents(document.querySelector('details.collect summary'));
  const w = words.getBoundingClientRect();
  const v = document.querySelector('.paper-vote .votes').getBoundingClientRect();
  return [[w.top, w.bottom], [v.top, v.bottom]]; }"""


@pytest.fixture(scope="module")
def member_site(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("paper-actions-site")
    with serving_small_feed(migrated_template, data_dir, MAKE_MEMBER) as server:
        yield server


def _paper_page(browser: Any, site: LiveServer) -> tuple[Any, Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.locator("main").get_by_label("Username").fill(USERNAME)
    page.locator("main").get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(site.url + "/")
    page.goto(site.url + "/papers/2401.01234")
    return ctx, page


def test_add_to_a_collection_is_centred_on_the_vote_box(
    browser: Any, member_site: LiveServer
) -> None:
    ctx, page = _paper_page(browser, member_site)
    try:
        closed = page.evaluate(SUMMARY)
        (words_top, words_bottom), (vote_top, vote_bottom) = closed
        # Not at the top of the vote box, as it was: level with its middle.
        assert abs((words_top + words_bottom) - (vote_top + vote_bottom)) <= 3, closed
        page.locator("details.collect summary").click()
        page.get_by_role("button", name="Create and add").wait_for()
        assert page.evaluate(SUMMARY) == closed  # opening it moves it not at all
    finally:
        ctx.close()


def test_opening_add_to_a_collection_leaves_vote_and_save_in_place(
    browser: Any, member_site: LiveServer
) -> None:
    ctx, page = _paper_page(browser, member_site)
    try:
        closed = page.evaluate(BOXES)
        page.locator("details.collect summary").click()
        page.get_by_role("button", name="Create and add").wait_for()
        opened = page.evaluate(BOXES)
        assert opened == closed, (closed, opened)
        (vote_top, vote_bottom), (save_top, save_bottom) = opened
        # Save sits beside the vote box, centred on it, not halfway down the panel.
        assert vote_top <= save_top and save_bottom <= vote_bottom, opened
        assert abs((save_top + save_bottom) - (vote_top + vote_bottom)) <= 2, opened
    finally:
        ctx.close()
