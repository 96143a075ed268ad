"""`paperwire export`: JSONL that imports back into an empty database identically."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from paperwire.papers.models import Author, DataVersion, FeedEntry, Organization, Paper
from paperwire.papers.transfer import import_file

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "paperwire" / "data" / "demo_papers.jsonl"

RICH_ROWS = [
    {
        "id": "2401.01234v3",
        "title": "Everything We Know About One Paper",
        "summary": "An abstract with “quotes”, ümlauts and a newline\nin it.",
        "published_at": "2024-01-02T03:04:05.678Z",
        "updated_at": "2024-02-01",
        "authors": [{"name": "Zoë Example", "affiliation": "Somewhere"}, {"name": "Bob"}],
        "organization": {"name": "acme", "fullname": "Acme", "avatar": "https://e.org/a.png"},
        "categories": ["cs.CL", "cs.LG"],
        "primary_category": "cs.CL",
        "versions": [{"version": 1, "date": "2024-01-02"}],
        "comments": "12 pages",
        "journal_ref": "J. Tests 1 (2024)",
        "doi": "10.1000/xyz",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "code_url": "https://github.com/example/code",
        "project_url": "https://example.org/project",
        "feed_date": "2026-01-05",
        "submitted_at": "2026-01-05T08:09:10.000Z",
        "submitted_by": "akhaliq",
        "upvotes": 12,
        "num_comments": 3,
    },
    {"title": "Only A Title"},
    {"title": "Counted Authors", "num_authors": 7, "feed_date": "2026-01-07", "upvotes": 1},
]


def export_via_command() -> str:
    out = StringIO()
    call_command("export_papers", "-", stdout=out, stderr=StringIO())
    return out.getvalue()


def wipe() -> None:
    Paper.objects.all().delete()
    Author.objects.all().delete()
    Organization.objects.all().delete()
    DataVersion.objects.all().delete()
    assert not FeedEntry.objects.exists()


def roundtrip(tmp_path: Path, first_export: str) -> str:
    path = tmp_path / "export.jsonl"
    path.write_text(first_export, encoding="utf-8")
    wipe()
    result = import_file(path)
    assert result.problems == []
    assert result.created == len(first_export.splitlines())
    return export_via_command()


def test_demo_export_imports_back_byte_identical(tmp_path: Path) -> None:
    import_file(DEMO)
    first = export_via_command()
    assert len(first.splitlines()) == 137

    assert roundtrip(tmp_path, first) == first


def test_every_field_survives_the_round_trip(import_rows, tmp_path: Path) -> None:
    assert import_rows(RICH_ROWS).problems == []
    first = export_via_command()

    assert roundtrip(tmp_path, first) == first
    rich = json.loads(first.splitlines()[0])
    assert rich["id"] == rich["arxiv_id"] == "2401.01234"
    assert rich["authors"] == [{"name": "Zoë Example", "affiliation": "Somewhere"}, {"name": "Bob"}]
    assert rich["published_at"] == "2024-01-02T03:04:05.678Z"
    assert rich["updated_at"] == "2024-02-01"
    assert rich["organization"] == {
        "name": "acme",
        "fullname": "Acme",
        "avatar": "https://e.org/a.png",
    }
    assert rich["submitted_by"] == "akhaliq" and rich["upvotes"] == 12
    assert rich["code_url"] == "https://github.com/example/code"
    assert "ümlauts" in first  # UTF-8 as is, not \\u escapes


def test_export_lines_have_ids_and_named_authors(import_rows) -> None:
    import_rows(RICH_ROWS)
    lines = [json.loads(line) for line in export_via_command().splitlines()]

    assert all(line["id"] for line in lines)
    by_title = {line["title"]: line for line in lines}
    assert "arxiv_id" not in by_title["Only A Title"]
    assert "authors" not in by_title["Counted Authors"]
    assert by_title["Counted Authors"]["num_authors"] == 7
    for author in by_title["Everything We Know About One Paper"]["authors"]:
        assert isinstance(author["name"], str)


def test_export_to_a_file_and_reimport_changes_nothing(import_rows, tmp_path: Path) -> None:
    import_rows(RICH_ROWS)
    path = tmp_path / "out" / "papers.jsonl"
    path.parent.mkdir()
    out = StringIO()
    call_command("export_papers", str(path), stdout=out)
    assert "exported 3 paper(s)" in out.getvalue()
    modified = dict(Paper.objects.values_list("pk", "modified"))

    result = import_file(path)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert dict(Paper.objects.values_list("pk", "modified")) == modified
    assert path.read_text(encoding="utf-8") == export_via_command()
    assert [p.name for p in path.parent.iterdir()] == ["papers.jsonl"]  # no temp files left
