"""Every kind of page works in real Chromium under the site's Content-Security-Policy.

The browser reports what the policy blocks as `securitypolicyviolation` events (and on
the console); each page here must have none, and no console error, while its scripts
(htmx, Swagger UI) still run.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    "/",
    "/about",
    "/search?q=language+models",
    "/trending",
    "/orgs",
    "/week/2026-W06",
    "/login",
    "/signup",
    "/subscribe",
    "/password-reset",
    "/submit",
    "/admin/login/",
    "/no-such-page",
]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched(page: Any) -> tuple[Any, list[str]]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD_VIOLATIONS)
    return page, errors


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__violations"))


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_under_the_policy(watched: tuple[Any, list[str]], live_paperwire, path: str):
    page, errors = watched
    response = page.goto(live_paperwire.url + path)
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.wait_for_load_state("load")
    if path != "/admin/login/":
        assert page.evaluate("typeof window.htmx") == "object"  # htmx loaded and ran
    assert _violations(page) == []
    # A missing page answers 404, and Django's admin names no icon (Chromium then asks
    # for /favicon.ico): Chromium puts both 404s on the console. Nothing else may be.
    expected_404 = path in ("/no-such-page", "/admin/login/")
    assert [e for e in errors if not (expected_404 and "status of 404" in e)] == []


def test_swagger_ui_renders_under_the_policy(watched: tuple[Any, list[str]], live_paperwire):
    page, errors = watched
    page.goto(live_paperwire.url + "/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 3
    assert _violations(page) == []
    assert errors == []
