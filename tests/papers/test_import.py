"""`paperwire import`: the shared/data JSONL, Hugging Face's daily_papers JSON, idempotence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from paperwire.papers.ids import short_id
from paperwire.papers.models import Author, FeedEntry, Organization, Paper
from paperwire.papers.transfer import import_file

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "paperwire" / "data" / "demo_papers.jsonl"


def test_demo_file_imports_every_paper_once() -> None:
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]

    result = import_file(DEMO)

    assert (result.created, result.updated, result.problems) == (137, 0, [])
    assert Paper.objects.count() == FeedEntry.objects.count() == 137
    counts = {
        str(day): FeedEntry.objects.filter(feed_date=day).count()
        for day in FeedEntry.objects.values_list("feed_date", flat=True).distinct()
    }
    assert counts == {"2026-01-05": 20, "2026-01-07": 28, "2026-02-03": 53, "2026-06-11": 36}
    # A line as the shared/data file has it, field by field.
    first = rows[0]
    paper = Paper.objects.get(title=first["title"])
    assert paper.abstract == first["summary"]
    assert paper.num_authors == first["num_authors"]
    assert paper.published_at == dt.datetime.fromisoformat(first["published_at"]).replace(
        tzinfo=dt.UTC
    )
    assert paper.arxiv_id is None and paper.public_id == short_id(first["title"])
    assert paper.feed_entry.upvotes == first.get("upvotes", 0)
    assert paper.feed_entry.feed_date.isoformat() == first["feed_date"]
    # Organizations are shared by their papers.
    tencent = Organization.objects.get(name="tencent")
    assert tencent.fullname == "Tencent"
    assert tencent.papers.count() == 2


def test_shared_data_lines_without_feed_fields_import(import_rows) -> None:
    """The shared/data form: title, summary, published_at, num_authors or organization."""
    result = import_rows(
        [
            {
                "title": "A Paper With Only The Basics",
                "summary": "Nothing else is known.",
                "published_at": "2023-02-01",
                "num_authors": 4,
            },
            {
                "title": "An Organization's Paper",
                "summary": "By a lab.",
                "published_at": "2025-12-01",
                "organization": {"name": "Qwen", "fullname": "Qwen"},
                "upvotes": 4,
            },
        ]
    )
    assert (result.created, result.problems) == (2, [])
    basic = Paper.objects.get(title="A Paper With Only The Basics")
    assert basic.num_authors == 4 and basic.author_count == 4
    assert basic.feed_entry.upvotes == 0
    assert Paper.objects.get(title="An Organization's Paper").organization.name == "Qwen"


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    import_file(DEMO)
    papers_before = dict(Paper.objects.values_list("public_id", "modified"))
    entries_before = dict(FeedEntry.objects.values_list("paper__public_id", "modified"))
    orgs_before = Organization.objects.count()

    again = import_file(DEMO)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 137)
    assert again.problems == []
    assert dict(Paper.objects.values_list("public_id", "modified")) == papers_before
    assert dict(FeedEntry.objects.values_list("paper__public_id", "modified")) == entries_before
    assert Organization.objects.count() == orgs_before
    assert Paper.objects.count() == FeedEntry.objects.count() == 137


def test_reimport_updates_in_place(import_rows) -> None:
    row = {"title": "Upvoted Later", "summary": "v1", "upvotes": 1, "feed_date": "2026-01-05"}
    import_rows([row])
    paper = Paper.objects.get()

    result = import_rows([{**row, "summary": "v2", "upvotes": 9}])

    assert (result.created, result.updated) == (0, 1)
    updated = Paper.objects.get()
    assert updated.pk == paper.pk and updated.public_id == paper.public_id
    assert updated.abstract == "v2" and updated.feed_entry.upvotes == 9


def test_match_on_arxiv_id_even_when_the_title_changed(import_rows) -> None:
    import_rows([{"id": "2401.01234", "title": "First Title", "summary": "a"}])

    result = import_rows([{"arxiv_id": "2401.01234v2", "title": "A Renamed Paper"}])

    assert (result.created, result.updated) == (0, 1)
    paper = Paper.objects.get()
    assert (paper.public_id, paper.arxiv_id) == ("2401.01234", "2401.01234")
    assert paper.title == "A Renamed Paper"
    assert paper.abstract == "a"  # a field the second file did not give is kept


def test_match_on_normalized_title(import_rows) -> None:
    import_rows([{"title": "Lexinvariant Language Models", "summary": "first"}])
    first = Paper.objects.get()

    result = import_rows([{"title": "  LEXINVARIANT language-models! ", "num_authors": 6}])

    assert (result.created, result.updated) == (0, 1)
    paper = Paper.objects.get()
    assert paper.pk == first.pk and paper.public_id == first.public_id
    assert paper.num_authors == 6 and paper.abstract == "first"


def test_same_title_with_another_arxiv_id_is_another_paper(import_rows) -> None:
    import_rows([{"id": "2401.00001", "title": "Attention"}])

    result = import_rows([{"id": "2401.00002", "title": "Attention"}])

    assert result.created == 1
    assert sorted(Paper.objects.values_list("public_id", flat=True)) == [
        "2401.00001",
        "2401.00002",
    ]


HF_DAILY = [
    {
        "paper": {
            "id": "2502.01234",
            "authors": [{"name": "Grace Hopper"}, {"name": "Edsger Dijkstra"}],
            "publishedAt": "2025-02-03T12:30:00.000Z",
            "summary": "A summary from the Hub.",
            "upvotes": 42,
            "title": "Compilers All The Way Down",
            "githubRepo": "https://github.com/example/compilers",
        },
        "publishedAt": "2025-02-04T09:15:00.000Z",
        "title": "Compilers All The Way Down",
        "thumbnail": "https://example.org/thumb.png",
        "numComments": 5,
        "submittedBy": {"user": "akhaliq", "fullname": "AK", "type": "user"},
        "organization": {"name": "acme", "fullname": "Acme Research", "avatar": ""},
        "isAuthorParticipating": False,
    },
    {
        "paper": {
            "id": "2502.05678",
            "authors": [{"name": "Barbara Liskov"}],
            "publishedAt": "2025-02-01T00:00:00.000Z",
            "summary": "Second item.",
            "upvotes": 3,
        },
        "publishedAt": "2025-02-04T10:00:00.000Z",
        "title": "Substitution, Formally",
        "numComments": 0,
        "submittedBy": {"user": "someone"},
        "organization": None,
    },
]


def test_hugging_face_daily_papers_array(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(HF_DAILY, indent=2), encoding="utf-8")

    result = import_file(path)

    assert (result.created, result.problems) == (2, [])
    paper = Paper.objects.get(public_id="2502.01234")
    assert paper.arxiv_id == "2502.01234"
    assert paper.title == "Compilers All The Way Down"
    assert paper.abstract == "A summary from the Hub."
    assert paper.author_names() == ["Grace Hopper", "Edsger Dijkstra"]
    assert paper.published_at == dt.datetime(2025, 2, 3, 12, 30, tzinfo=dt.UTC)
    assert paper.organization.name == "acme"
    assert paper.organization.fullname == "Acme Research"
    assert paper.code_url == "https://github.com/example/compilers"
    entry = paper.feed_entry
    assert entry.upvotes == 42 and entry.num_comments == 5
    assert entry.submitter_name == "akhaliq"
    assert entry.submitted_at == dt.datetime(2025, 2, 4, 9, 15, tzinfo=dt.UTC)
    assert entry.feed_date == dt.date(2025, 2, 4)
    # The outer title wins over (or stands in for) the paper's.
    assert Paper.objects.get(public_id="2502.05678").title == "Substitution, Formally"
    assert Author.objects.count() == 3

    again = import_file(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_authors_are_kept_in_order_and_shared(import_rows) -> None:
    import_rows(
        [
            {"id": "2401.00001", "title": "One", "authors": [{"name": "B"}, {"name": "A"}]},
            {"id": "2401.00002", "title": "Two", "authors": ["A", {"name": "C"}]},
        ]
    )
    assert Paper.objects.get(public_id="2401.00001").author_names() == ["B", "A"]
    assert Paper.objects.get(public_id="2401.00002").author_names() == ["A", "C"]
    assert Author.objects.count() == 3


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps({"title": "Saved On Windows"}).encode() + b"\n")
    array = tmp_path / "bom.json"
    array.write_bytes(b"\xef\xbb\xbf" + json.dumps(HF_DAILY[1:]).encode())

    assert import_file(jsonl).problems == []
    assert import_file(array).problems == []
    assert Paper.objects.count() == 2


def test_organization_avatar_must_be_a_web_url(import_rows) -> None:
    org = {"name": "acme", "fullname": "Acme", "avatar": "javascript:alert(1)"}
    assert import_rows([{"title": "Avatar Test", "organization": org}]).problems == []
    assert Organization.objects.get(name="acme").avatar == ""


def test_our_own_api_output_imports_back_unchanged(client, export_jsonl, tmp_path: Path) -> None:
    import_file(DEMO)
    before = export_jsonl()
    items = client.get("/api/daily_papers?date=2026-01-05&limit=100").json()
    assert len(items) == 20
    path = tmp_path / "ours.json"
    path.write_text(json.dumps(items), encoding="utf-8")

    result = import_file(path)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 20)
    assert result.problems == []
    assert export_jsonl() == before


def test_an_empty_author_list_keeps_the_names_known(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(HF_DAILY), encoding="utf-8")
    import_file(path)
    thinner = [{**HF_DAILY[0], "paper": {**HF_DAILY[0]["paper"], "authors": []}}]
    path.write_text(json.dumps(thinner), encoding="utf-8")

    assert import_file(path).unchanged == 1
    paper = Paper.objects.get(public_id="2502.01234")
    assert paper.author_names() == ["Grace Hopper", "Edsger Dijkstra"]
    assert paper.num_authors == 2


def test_tex_accents_in_author_names_are_letters(import_rows) -> None:
    """As the arXiv ingest stores names: one Gödel, whichever way a file spells him."""
    import_rows(
        [
            {"id": "2401.00003", "title": "Three", "authors": ['Kurt G\\"odel', "Bal\\'azs Sz"]},
            {"id": "2401.00004", "title": "Four", "authors": [{"name": "Kurt Gödel"}]},
        ]
    )
    assert Paper.objects.get(public_id="2401.00003").author_names() == ["Kurt Gödel", "Balázs Sz"]
    assert Author.objects.filter(name="Kurt Gödel").count() == 1
    assert not Author.objects.filter(name__contains="\\").exists()
