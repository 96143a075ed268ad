"""Security headers: a Content-Security-Policy that the site's own pages keep to, a
Permissions-Policy, and HSTS behind HTTPS (`manage.py check --deploy` without W004/W008).

Whether the pages really work under the policy is what the browser and journey tests
see: they fail on any console error, and a CSP violation is one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from django.test import Client

from support import run_cli

pytestmark = pytest.mark.django_db
HOST = {"HTTP_HOST": "127.0.0.1"}
TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "paperwire" / "templates"
PAGES = [
    "/",
    "/?date=2026-01-05",
    "/about",
    "/search?q=lemmas",
    "/papers/2401.01234",
    "/trending",
    "/login",
    "/signup",
    "/subscribe",
    "/submit",
    "/password-reset",
    "/orgs/tencent",
    "/api/docs",
    "/admin/login/",
    "/no-such-page",
]


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_policies(client: Client, small_feed: Any, path: str) -> None:
    response = client.get(path, **HOST)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'self'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_feeds_api_and_errors_carry_them_too(client: Client, small_feed: Any) -> None:
    for path in ("/feeds/daily.atom", "/api/daily_papers", "/api/papers/nope", "/orgs/%00"):
        response = client.get(path, **HOST)
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert response["Permissions-Policy"], path


def _inline_code(html: str) -> list[str]:
    """What a `script-src 'self'; style-src 'self'` policy would block in a page."""
    found = []
    for element in lxml.html.document_fromstring(html).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and not element.get("src"):
            if element.get("type") not in ("application/json", "importmap"):
                found.append("inline <script>")
        if element.tag == "style":
            found.append("<style>")
        for name in element.attrib:
            if name == "style" or name.startswith("on"):
                found.append(f"<{element.tag} {name}=>")
    return found


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client: Client, small_feed: Any, path: str) -> None:
    response = client.get(path, **HOST, follow=True)  # /submit leads to the login page
    assert _inline_code(response.content.decode()) == []


def test_no_template_of_a_page_holds_inline_script_or_style() -> None:
    # Mail templates are styled inline on purpose (mail clients drop <style>): no CSP there.
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|<style|\sstyle=|\son\w+=")
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        if "email" not in path.parts
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(
    client: Client, small_feed: Any
) -> None:
    page = lxml.html.document_fromstring(client.get("/", **HOST).content.decode())
    (config,) = page.xpath('//meta[@name="htmx-config"]/@content')
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config


def test_plain_http_has_no_hsts(client: Client, small_feed: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/about", **HOST)


@pytest.mark.slow
def test_behind_https_check_deploy_has_no_hsts_or_redirect_warning(
    new_data_dir: Callable[[], Path],
) -> None:
    done = run_cli(
        "check",
        "--deploy",
        data_dir=new_data_dir(),
        PAPERWIRE_HTTPS="1",
        PAPERWIRE_SECRET_KEY=secrets.token_urlsafe(60),
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "security.W004" not in output and "security.W008" not in output


@pytest.mark.slow
def test_behind_https_answers_carry_hsts_and_plain_http_is_redirected(
    new_data_dir: Callable[[], Path],
) -> None:
    script = (
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='127.0.0.1')\n"
        "secure = c.get('/about', HTTP_X_FORWARDED_PROTO='https')\n"
        "plain = c.get('/about')\n"
        "print(secure.status_code, secure['Strict-Transport-Security'])\n"
        "print(plain.status_code, plain['Location'])\n"
    )
    done = run_cli("shell", "-c", script, data_dir=new_data_dir(), PAPERWIRE_HTTPS="1")
    assert done.returncode == 0, done.stderr
    secure, plain = done.stdout.splitlines()[-2:]
    assert secure == "200 max-age=31536000"
    assert plain == "301 https://127.0.0.1/about"
