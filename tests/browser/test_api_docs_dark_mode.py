"""/api/docs follows the browser's colour scheme as the rest of the site does: Swagger UI's
own dark theme from a local stylesheet, readable, and fitting a phone in both schemes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

# For every visible piece of text: its colour, the first opaque background behind it and
# the WCAG contrast ratio of the two. Also the page's own background, and its width.
MEASURE = """() => {
  const rgb = (s) => {
    const p = s.match(/[\\d.]+/g).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};  // the canvas of a page that sets none
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const box = el.getBoundingClientRect();
    if (!walker.currentNode.textContent.trim() || !box.width || !box.height) continue;
    const fg = lum(rgb(getComputedStyle(el).color)), bg = lum(behind(el));
    texts.push({
      text: walker.currentNode.textContent.trim().slice(0, 40),
      ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05),
    });
  }
  return {
    page: lum(behind(document.querySelector("#swagger-ui"))),
    header: lum(behind(document.querySelector(".api-docs-header a"))),
    texts,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_api_docs_follow_the_colour_scheme_and_stay_readable(
    browser: Any, live_paperwire: Any, scheme: str, viewport: dict[str, int]
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(live_paperwire.url + "/api/docs")
        page.locator(".swagger-ui .opblock").first.wait_for()
        page.locator(".swagger-ui .opblock-summary").first.click()  # parameters, responses
        page.locator(".swagger-ui .parameters").first.wait_for()
        seen = page.evaluate(MEASURE)
    finally:
        context.close()

    if scheme == "dark":
        assert seen["page"] < 0.05 and seen["header"] < 0.05, "a dark page, header too"
        # Swagger UI's dark theme keeps to 3.7:1 and more (its red JSON numbers the
        # lowest); light text left on a dark page would be far below that.
        worst = min(seen["texts"], key=lambda t: t["ratio"])
        assert worst["ratio"] >= 3.5, worst
    else:
        assert seen["page"] > 0.9 and seen["header"] > 0.9, "light stays light"
    assert len(seen["texts"]) > 50, "the operations were drawn"
    assert seen["overflow"] <= 0, f"{seen['overflow']}px of sideways scrolling"
    assert errors == []
