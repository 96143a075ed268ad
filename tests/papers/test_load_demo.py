"""`paperwire load-demo`: the bundled demo papers, into an empty database only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_loads_the_demo_into_an_empty_database() -> None:
    assert "loaded 137 demo paper(s)" in load_demo()
    assert Paper.objects.count() == 137


def test_leaves_a_database_with_papers_alone(small_feed) -> None:
    assert "demo data not loaded" in load_demo()
    assert Paper.objects.count() == len(small_feed)


def test_force_adds_the_demo_without_duplicates(small_feed) -> None:
    load_demo("--force")
    load_demo("--force")

    assert Paper.objects.count() == len(small_feed) + 137
