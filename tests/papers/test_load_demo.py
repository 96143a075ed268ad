"""`paperwire load-demo`: the bundled demo papers, into an empty database only."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "src" / "paperwire" / "data" / "demo_papers.jsonl"


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


def _stored_demo() -> tuple[list[Any], list[Any], int]:
    """Every paper with its feed entry and organization (by name), in id order; what
    keyword search finds for a few words; the data version."""
    from paperwire.papers.models import DataVersion
    from paperwire.search.backends import search_backend
    from paperwire.search.query import parse_query

    skip = {"id", "created", "modified", "paper_id", "organization_id"}
    papers = [
        (
            {k: v for k, v in vars(p).items() if k not in skip and not k.startswith("_")},
            {k: v for k, v in vars(p.feed_entry).items() if k not in skip and k[0] != "_"},
            p.organization and (p.organization.name, p.organization.fullname),
        )
        for p in Paper.objects.select_related("feed_entry", "organization").order_by("pk")
    ]
    found = [
        [
            Paper.objects.get(pk=pk).public_id
            for pk in search_backend().keyword_search(parse_query(words), 20)[0][0]
        ]
        for words in ("lemmatization", "reinforcement learning", "diffusion")
    ]
    version = DataVersion.objects.get(pk=1).version
    return papers, found, version


def test_the_tests_replayed_demo_stores_what_the_import_stores() -> None:
    """support.import_demo (the demo_feed fixture) replays the rows of a real import:
    the same papers, feed entries, organizations, search index and data version bump."""
    from paperwire.papers.models import Organization
    from paperwire.papers.transfer import import_file
    from support import import_demo

    def forget() -> None:
        Paper.objects.all().delete()
        Organization.objects.all().delete()

    assert import_file(DEMO).created == 137
    imported, found, version = _stored_demo()
    assert all(found) and len(imported) == 137
    for _ in range(2):  # the second is a replay, whether or not the first was
        forget()
        import_demo(DEMO, 137)
        papers, found_again, version_again = _stored_demo()
        assert papers == imported
        assert found_again == found
        assert version_again == version + 1
        version = version_again
