"""A person searches with each filter, opens a result, follows a related paper, then an
author's page and an organization's page."""

from __future__ import annotations

import re
from typing import Any

from .helpers import Site, log_in, sign_up

SPARSE = "Sparse Attention"
CLUE = "CLUE: Non-parametric Verification"


def search(page: Any, query: str) -> Any:
    from playwright.sync_api import expect

    box = page.locator("#search-q")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("#search-q")).to_have_value(query)
    return page.locator("ol.search-results")


def test_search_filters_result_related_author_organization(
    page: Any, site: Site, feeds_of_pages: list[str]
) -> None:
    from playwright.sync_api import expect

    # Papers with named authors and categories, from (the local) arXiv.
    sign_up(page, site, "searcher")
    log_in(page, site, "searcher")
    page.goto(site.url + "/submit")
    page.locator("main").get_by_label("arXiv id or URL", exact=True).fill("2401.00001")
    page.locator("main").get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(site.url + "/papers/2401.00001")

    page.locator("#header-q").fill("sparse attention")
    page.locator("#header-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("ol.search-results")).to_contain_text(SPARSE)

    # Each filter shows as a removable chip; a phrase is words, not a filter.
    for query, present, absent, chip in [
        ('author:"Jane Q. Doe"', SPARSE, CLUE, "author: Jane Q. Doe"),
        ("author:könig", SPARSE, CLUE, "author: könig"),
        ("cat:cs.CL attention", SPARSE, CLUE, "category: cs.CL"),
        ("org:tencent", CLUE, SPARSE, "org: tencent"),
        ("year:2024 attention", SPARSE, CLUE, "year: 2024"),
        ("after:2023-12-01 before:2024-02 attention", SPARSE, CLUE, "after 2023-12-01"),
        ('"sparse attention"', SPARSE, CLUE, None),
        ("verification -sparse", CLUE, SPARSE, "not sparse"),
    ]:
        results = search(page, query)
        expect(results, query).to_contain_text(present)
        expect(results, query).not_to_contain_text(absent)
        chips = page.locator("ul.chips")
        if chip is None:
            expect(chips, query).to_have_count(0)
        else:
            expect(chips, query).to_contain_text(chip)

    results = search(page, "verification hidden-state clustering")
    results.get_by_role("link", name=re.compile("^CLUE")).first.click()
    page.wait_for_url(re.compile(r"/papers/"))
    expect(page.locator("h1")).to_contain_text("CLUE")

    # A related paper.
    related = page.locator("section.related a[href^='/papers/']")
    expect(related.first).to_be_visible()
    related_title = related.first.inner_text()
    related.first.click()
    page.wait_for_url(re.compile(r"/papers/"))
    expect(page.locator("h1")).to_contain_text(related_title.strip()[:30])

    # arXiv's TeX in an abstract reads as text: the demo's S4 paper says "91\\%".
    page.locator("#header-q").fill("efficiently modeling long sequences structured state")
    page.locator("#header-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    results = page.locator("ol.search-results")
    results.get_by_role("link", name=re.compile("^Efficiently Modeling")).first.click()
    page.wait_for_url(re.compile(r"/papers/"))
    expect(page.locator(".abstract-full")).to_contain_text("(i) 91% accuracy")
    expect(page.locator(".abstract-full")).not_to_contain_text("\\%")
    # Its formulas are drawn as MathML, not shown as `\( x'(t) = Ax(t) … \)`.
    formulas = page.locator(".abstract-full math")
    expect(formulas).to_have_count(3)
    box = formulas.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 10, box
    expect(page.locator(".abstract-full")).not_to_contain_text("\\(")

    page.goto(site.url + "/papers/2401.00001")
    page.locator("main a[href^='/authors/']").filter(has_text="Jane Q. Doe").first.click()
    page.wait_for_url(re.compile(r"/authors/\d+"))
    expect(page.locator("h1")).to_have_text("Jane Q. Doe")
    expect(page.locator("main")).to_contain_text(SPARSE)

    page.goto(site.url + "/search?q=org%3Atencent")
    page.locator("ol.search-results").get_by_role("link", name=re.compile("^CLUE")).click()
    page.locator("main a[href^='/orgs/']").first.click()
    page.wait_for_url(re.compile(r"/orgs/"))
    expect(page.locator("h1")).to_contain_text(re.compile("tencent", re.I))
    expect(page.locator("main")).to_contain_text("CLUE")
