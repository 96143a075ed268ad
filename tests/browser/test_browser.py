"""Real Chromium (Debian's, driven by Playwright) on the real server with the demo papers."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_DAYS = {"2026-01-05": 20, "2026-01-07": 28, "2026-02-03": 53, "2026-06-11": 36}


def heading(page: Any) -> str:
    return str(page.locator("h1").first.inner_text()).strip()


def test_feed_previous_day_paper_and_markdown(page: Any, live_paperwire, demo_home) -> None:
    home, label, count = demo_home  # June 11, 2026 on today's clock
    page.goto(live_paperwire.url + "/")
    assert heading(page) == label
    assert page.locator("ol.cards > li.card").count() == min(count, 50)
    earlier = sorted(day for day in DEMO_DAYS if day < home.isoformat())
    if not earlier:  # a clock on the first demo day: step back from the last one instead
        page.goto(live_paperwire.url + "/?date=2026-06-11")
        earlier = sorted(day for day in DEMO_DAYS if day < "2026-06-11")

    page.locator("a.pager-prev").click()
    page.wait_for_url(f"**/?date={earlier[-1]}")
    assert page.locator(".pager .count").inner_text() == f"{DEMO_DAYS[earlier[-1]]} papers"
    assert page.locator("ol.cards > li.card").count() == min(DEMO_DAYS[earlier[-1]], 50)

    first = page.locator("ol.cards h3 a").first
    title = str(first.inner_text()).strip()
    first.click()
    page.wait_for_url("**/papers/*")
    assert heading(page) == title
    assert page.locator("section[aria-labelledby=abstract-heading]").inner_text()

    markdown_link = page.get_by_role("link", name="Markdown")
    href = markdown_link.get_attribute("href")
    assert href is not None and href.endswith(".md")
    with page.expect_response(lambda r: r.url.endswith(".md")) as answer:
        markdown_link.click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text().startswith(f"# {title}\n")
    # Shown in the tab as text, not offered as a download.
    page.wait_for_url("**/*.md")
    assert str(page.locator("body").inner_text()).startswith(f"# {title}")


def test_next_day_link_and_week_view(page: Any, live_paperwire) -> None:
    page.goto(live_paperwire.url + "/?date=2026-01-05")
    assert page.locator("a.pager-prev").count() == 0
    page.locator("a.pager-next").click()
    page.wait_for_url("**/?date=2026-01-07")
    assert heading(page) == "January 7, 2026"

    page.get_by_role("navigation", name="Feed period").get_by_role("link", name="Week").click()
    page.wait_for_url("**/week/2026-W02")
    assert heading(page) == "Week 2, 2026"
    assert page.locator("ol.cards > li.card").count() == 48


def test_keyboard_reaches_the_first_paper(page: Any, live_paperwire) -> None:
    page.goto(live_paperwire.url + "/")
    first_paper = str(page.locator("ol.cards h3 a").first.inner_text()).strip()

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent").strip()
        if focused == first_paper:
            break
    else:
        pytest.fail("Tab never reached the first paper's link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/papers/*")
    assert heading(page) == first_paper


def test_dark_mode_follows_the_system(browser: Any, live_paperwire) -> None:
    colors = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(live_paperwire.url + "/")
        colors[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()

    assert colors["light"] != colors["dark"]


def test_narrow_screen_has_no_sideways_scrolling(browser: Any, live_paperwire) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(live_paperwire.url + "/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()


def test_unknown_paper_shows_the_404_page(page: Any, live_paperwire) -> None:
    response = page.goto(live_paperwire.url + "/papers/2401.99999")

    assert response is not None and response.status == 404
    assert "404" in heading(page)
    assert page.get_by_text("No paper has this id.").is_visible()


def test_headings_in_comments_stay_smaller_than_the_page_headings(
    page: Any, live_paperwire
) -> None:
    page.goto(live_paperwire.url + "/about")
    sizes = page.evaluate(
        """() => {
            const body = document.createElement("div");
            body.className = "comment-body";
            body.innerHTML = "<h1>A member's heading</h1>";
            document.querySelector("main").append(body);
            const size = (el) => parseFloat(getComputedStyle(el).fontSize);
            return [size(body.querySelector("h1")), size(document.querySelector("h1"))];
        }"""
    )
    assert sizes[0] < sizes[1]


def test_password_fields_are_as_wide_as_the_other_fields(page: Any, live_paperwire) -> None:
    page.goto(live_paperwire.url + "/signup")
    form = page.locator("main form")
    username = form.locator("input[name=username]").bounding_box()
    password = form.locator("input[name=password]").bounding_box()
    assert password["width"] == username["width"]


CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const [a, b] = [lum(style.color), lum(style.backgroundColor)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_filled_buttons_are_readable_in_both_schemes(
    browser: Any, live_paperwire, scheme: str
) -> None:
    # The search page's button was white on the dark scheme's light amber (1.7:1).
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        for path in ["/", "/search?q=attention"]:
            page.goto(live_paperwire.url + path)
            buttons = page.locator("main button:visible, header button:visible")
            assert buttons.count() > 0
            for i in range(buttons.count()):
                button = buttons.nth(i)
                if button.evaluate("el => getComputedStyle(el).backgroundColor").endswith(", 0)"):
                    continue  # a transparent button: its text is on the page's background
                ratio = button.evaluate(CONTRAST)
                assert ratio >= 4.5, f"{path} {scheme}: {button.inner_text()!r} at {ratio:.2f}:1"
    finally:
        context.close()


def test_a_title_with_a_very_long_word_wraps_on_a_phone(browser: Any, live_paperwire) -> None:
    # A word wider than the screen (a URL, a long compound) in a title or an author
    # name must wrap, not widen the page: in the feed's cards and on the paper page.
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    long_word = "Supercalifragilistic-" + "x" * 80
    widen = f"""() => {{
      for (const el of document.querySelectorAll('h1, .card h3 a, .byline')) {{
        el.textContent = 'A {long_word} title';
      }}
      return document.documentElement.scrollWidth - document.documentElement.clientWidth;
    }}"""
    try:
        page.goto(live_paperwire.url + "/")
        paper = page.locator("ol.cards h3 a").first.get_attribute("href")
        assert page.evaluate(widen) <= 0
        page.goto(live_paperwire.url + str(paper))
        assert page.evaluate(widen) <= 0
    finally:
        context.close()


def test_search_syntax_examples_stay_whole_on_a_phone(browser: Any, live_paperwire) -> None:
    # "-vision" broken after its dash reads as "-" and "vision": each example of the
    # search page's help keeps to one line, at a phone's width.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_paperwire.url + "/search")
        lines = page.evaluate(
            """() => [...document.querySelectorAll('.search-help code')].map(
                c => [c.textContent, c.getClientRects().length])"""
        )
        assert len(lines) >= 8, lines
        assert [text for text, count in lines if count != 1] == [], lines
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_search_boxs_placeholder_is_not_cut(browser: Any, live_paperwire, width: int) -> None:
    # The syntax is listed under the box; its placeholder is short enough to read whole
    # on a phone (it used to end "-excluc" at 390px), with room to spare.
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    try:
        page.goto(live_paperwire.url + "/search")
        room, needed = page.evaluate(
            """() => { const box = document.querySelector('#search-q');
              const style = getComputedStyle(box);
              const text = document.createElement('canvas').getContext('2d');
              text.font = style.font;
              return [box.clientWidth - parseFloat(style.paddingLeft)
                        - parseFloat(style.paddingRight),
                      text.measureText(box.placeholder).width]; }"""
        )
        assert needed <= room - 24, (needed, room)
        assert page.locator(".search-help").get_by_text("author:").first.is_visible()
    finally:
        context.close()
