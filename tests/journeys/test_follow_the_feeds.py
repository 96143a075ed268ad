"""A feed reader follows the feeds each page announces with <link rel="alternate">: the
daily, trending, search, author and organization feeds all parse."""

from __future__ import annotations

import re
from typing import Any

import feedparser

from .helpers import Site, check_alternate_feeds


def test_every_announced_feed_parses(page: Any, site: Site) -> None:
    pages = [site.url + path for path in ["/", "/trending", "/about", "/search?q=attention"]]
    page.goto(site.url + "/search?q=org%3Atencent")
    page.locator("ol.search-results a[href^='/papers/']").first.click()
    page.wait_for_url(re.compile(r"/papers/"))
    pages.append(page.url)
    org = page.locator("main a[href^='/orgs/']").first.get_attribute("href")
    assert org, "the paper page links no organization"
    pages.append(site.url + org)
    # The organization's page shows its own feeds, not only the footer's daily ones.
    page.goto(site.url + org)
    shown = page.locator("main").get_by_role("list", name="Feeds").get_by_role("link")
    assert [link.inner_text() for link in shown.all()] == ["RSS", "Atom"]
    for link in shown.all():
        href = link.get_attribute("href") or ""
        assert href.startswith("/feeds/org/"), href
        feed = feedparser.parse(page.request.get(site.url + href).body())
        assert not feed.bozo and feed.feed.get("title", "").startswith("Papers by"), href
    for url in pages:
        page.goto(url)
    feeds = check_alternate_feeds(page, pages)
    paths = {feed.removeprefix(site.url).split("?")[0] for feed in feeds}
    for expected in ["/feeds/daily.rss", "/feeds/trending.rss", "/feeds/search.rss"]:
        assert expected in paths, f"{expected} not announced: {sorted(paths)}"
    assert any(p.startswith("/feeds/org/") for p in paths), sorted(paths)
