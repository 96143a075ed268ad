"""/api/docs is served by this site alone: an offline install must show it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from paperwire.api import swagger_dark


@pytest.mark.django_db
def test_the_docs_page_loads_nothing_from_another_origin(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    loaded = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in loaded), loaded
    assert [url for url in loaded if "//" in url] == []


@pytest.mark.django_db
def test_the_docs_page_links_back_to_the_site(client: Client, settings: Any) -> None:
    settings.SITE_NAME = "ML Reading Room"
    html = client.get("/api/docs").content.decode()
    header = re.search(r'<header class="api-docs-header">(.*?)</header>', html, re.S)
    assert header, "no header"
    home = re.search(r'<a href="/" rel="home">(.*?)</a>', header.group(1), re.S)
    assert home and home.group(1).strip().endswith("ML Reading Room")
    assert 'href="/static/paperwire/api_docs.css"' in html


@pytest.mark.django_db
def test_the_docs_page_has_a_dark_theme_of_its_own(client: Client) -> None:
    html = client.get("/api/docs").content.decode()
    assert '<meta name="color-scheme" content="light dark">' in html
    sheets = re.findall(r'rel="stylesheet" href="([^"]+)"', html)
    assert sheets == [
        "/static/ninja/swagger-ui.css",
        "/static/paperwire/api_docs_dark.css",  # after Swagger UI's light rules
        "/static/paperwire/api_docs.css",
    ]


def test_the_dark_theme_is_swagger_uis_current_one() -> None:
    # After an upgrade of django-ninja: `python -m paperwire.api.swagger_dark`.
    assert swagger_dark.OUTPUT.read_text(encoding="utf-8") == swagger_dark.generate()


def test_dark_rules_are_taken_whole_and_only_they() -> None:
    css = (
        ".swagger-ui .a{color:#000}html.dark-mode .swagger-ui .a,html.dark-mode .b{color:#fff}"
        "/* html.dark-mode .c{x:y} */"
        'html.dark-mode .s{background:url("data:image/svg+xml,<svg>{}</svg>")}'
        "@media (max-width:550px){.d{e:f}html.dark-mode .d{g:h}}"
        "@media print{.p{q:r}}.swagger-ui .topbar .dark-mode-toggle{cursor:pointer}"
    )
    out = swagger_dark.dark_css(css, "9.9")
    rules = out.split("@media (prefers-color-scheme: dark) {\n")[1].splitlines()
    assert rules == [
        "html:root .swagger-ui .a,html:root .b{color:#fff}",
        'html:root .s{background:url("data:image/svg+xml,<svg>{}</svg>")}',
        "@media (max-width:550px){html:root .d{g:h}}",
        "}",
    ]
    assert "django-ninja 9.9" in out
    with pytest.raises(ValueError, match="mixes"):
        swagger_dark.dark_css(".a,html.dark-mode .a{b:c}", "9.9")
    with pytest.raises(ValueError, match=r"no html\.dark-mode rules"):
        swagger_dark.dark_css(".a{b:c}", "9.9")
