"""/api/docs is served by this site alone: an offline install must show it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client


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
