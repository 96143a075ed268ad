"""/api/docs is served by this site alone: an offline install must show it."""

from __future__ import annotations

import re

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
