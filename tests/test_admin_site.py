"""/admin/ names the site it runs (PAPERWIRE_SITE_NAME), not the framework."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_admin_names_the_site_not_the_framework(admin_client: Client) -> None:
    page = admin_client.get("/admin/").content.decode()

    assert "paperwire administration" in page
    assert "<title>Moderation and site data | paperwire admin</title>" in page
    assert "Django administration" not in page and "Django site admin" not in page
