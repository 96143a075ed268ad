"""A member upvotes, saves, collects and comments, then downloads their data from the
settings page: one JSON file with all of it and none of their secrets."""

from __future__ import annotations

import json
import re
from typing import Any

from .helpers import Site, log_in, sign_up


def test_download_my_data(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "dora")
    log_in(page, site, "dora")
    page.goto(site.url + "/")
    card = page.locator("ol.cards > li.card").first
    title = card.locator("h3 a").inner_text()
    card.locator("button.vote-button").click()
    expect(card.locator(".votes")).to_have_class(re.compile("voted"))
    card.get_by_role("button", name=re.compile("^Save to your library")).click()
    expect(card.locator(".save-button")).to_have_text("★ Saved")
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/papers/"))
    page.locator("main").get_by_label("Add a comment", exact=True).fill("Worth a read")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("li.comment").filter(has_text="Worth a read")).to_have_count(1)
    page.goto(site.url + "/settings")
    page.locator("#tokens").get_by_label("Token name").fill("backup script")
    page.locator("#tokens").get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").input_value()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    saved = download.value
    assert re.fullmatch(r"paperwire-dora-\d{4}-\d\d-\d\d\.json", saved.suggested_filename)
    text = open(saved.path(), encoding="utf-8").read()
    data = json.loads(text)
    assert data["profile"]["username"] == "dora" and data["profile"]["email"] == "dora@example.org"
    assert [v["title"] for v in data["upvotes"]] == [title]
    assert [s["title"] for s in data["saves"]] == [title]
    assert [c["body"] for c in data["comments"]] == ["Worth a read"]
    assert [t["name"] for t in data["tokens"]] == ["backup script"]
    assert token not in text and "password" not in json.dumps(data["profile"])
