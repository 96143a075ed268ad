"""Bad import files: every bad line is reported by number, the rest is imported, the command
fails, and nothing already stored changes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

STORED_TITLE = "Lemmas Without Morphology"  # in the small_feed fixture


def good(title: str) -> bytes:
    return json.dumps({"title": title, "summary": "fine", "feed_date": "2026-03-01"}).encode()


def bad(**fields: object) -> bytes:
    """A line about a paper already stored, which would change it if it were accepted."""
    return json.dumps({"title": STORED_TITLE, "upvotes": 999, **fields}).encode()


BAD_LINES: dict[str, tuple[bytes, str]] = {
    "non-utf8": (b'{"title": "Lemmas Without Morphology", "summary": "caf\xe9"}', "not UTF-8"),
    "invalid-json": (b'{"title": "Lemmas Without Morphology", "upvotes": 999,}', "not valid JSON"),
    "not-an-object": (b'["Lemmas Without Morphology", 999]', "expected a JSON object"),
    "title-not-a-string": (json.dumps({"title": 42}).encode(), "'title' must be a string"),
    "upvotes-not-a-number": (bad(upvotes="lots"), "'upvotes' must be a whole number"),
    "negative-upvotes": (bad(upvotes=-3), "'upvotes' must be between"),
    "authors-not-a-list": (bad(authors="A. Author"), "'authors' must be a list"),
    "organization-not-an-object": (bad(organization="tencent"), "'organization' must be"),
    "impossible-date": (bad(published_at="2023-02-30"), "'published_at' is not a valid date"),
    "impossible-feed-date": (bad(feed_date="2026-13-01"), "'feed_date' is not a valid date"),
    "date-not-a-string": (bad(published_at=20230201), "'published_at' must be a date string"),
    "empty-title": (json.dumps({"title": "   ", "summary": "x"}).encode(), "'title' is empty"),
    "missing-title": (json.dumps({"summary": "x"}).encode(), "'title' is missing"),
    "bad-arxiv-id": (bad(arxiv_id="not-an-id"), "'arxiv_id'"),
    "bad-id": (bad(id="<script>"), "'id'"),
    "ten-mb-abstract": (bad(summary="a" * 10_000_000), "line is too long"),
    "script-url": (bad(code_url="javascript:alert(1)"), "'code_url' must be an http(s) URL"),
    "long-journal-ref": (bad(journal_ref="J" * 600), "'journal_ref' is too long"),
    "deeply-nested": (b"[" * 100_000, "nested too deeply"),
}


def run_import(path: Path) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_papers", str(path), "--quiet", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.mark.parametrize("kind", BAD_LINES)
def test_bad_line_is_reported_and_the_rest_imported(
    kind: str, small_feed, export_jsonl, tmp_path: Path
) -> None:
    line, message = BAD_LINES[kind]
    before = export_jsonl()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join([good("Before The Bad Line"), line, good("After It")]) + b"\n")

    out, err, failure = run_import(path)

    assert failure is not None, "a file with a bad line must make the command fail"
    assert "1 line(s) were not imported" in str(failure)
    assert f"{path}:line 2: " in err and message in err, err
    assert "Traceback" not in err
    assert "2 new" in out and "1 problem(s)" in out
    assert set(Paper.objects.values_list("title", flat=True)) >= {"Before The Bad Line", "After It"}
    after = export_jsonl()
    assert after.startswith(before), "papers stored before the import changed"
    assert len(after.splitlines()) == len(before.splitlines()) + 2


def test_truncated_last_line(small_feed, export_jsonl, tmp_path: Path) -> None:
    before = export_jsonl()
    path = tmp_path / "truncated.jsonl"
    whole = good("A Whole Line") + b"\n"
    path.write_bytes(whole + bad(summary="cut off here")[:-20])

    _, err, failure = run_import(path)

    assert failure is not None
    assert "line 2: not valid JSON" in err and "truncated" in err
    assert Paper.objects.filter(title="A Whole Line").exists()
    assert export_jsonl().startswith(before)
    assert Paper.objects.get(title=STORED_TITLE).feed_entry.upvotes == 3


def test_every_problem_of_one_file_is_reported(small_feed, export_jsonl, tmp_path: Path) -> None:
    before = export_jsonl()
    lines = [good("Good One"), *(line for line, _ in BAD_LINES.values()), good("Good Two")]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    _, err, failure = run_import(path)

    assert failure is not None
    assert f"{len(BAD_LINES)} line(s) were not imported" in str(failure)
    for number, (_, message) in enumerate(BAD_LINES.values(), start=2):
        assert f"line {number}: " in err
        assert message in err
    assert export_jsonl().startswith(before)
    assert Paper.objects.filter(title__in=["Good One", "Good Two"]).count() == 2


def test_duplicate_rows_are_reported_and_stored_once(small_feed, tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    first = {"title": "Twice In One File", "upvotes": 1, "feed_date": "2026-03-01"}
    path.write_bytes(
        b"\n".join(
            [
                json.dumps(first).encode(),
                good("Something Else"),
                json.dumps({**first, "title": "twice in one file!", "upvotes": 2}).encode(),
            ]
        )
        + b"\n"
    )

    _, err, _ = run_import(path)

    assert "line 3: has no id; merged by its title with line 1" in err
    assert Paper.objects.filter(title_key="twice in one file").count() == 1
    assert Paper.objects.get(title_key="twice in one file").feed_entry.upvotes == 2


def test_huge_abstract_in_a_json_array(small_feed, export_jsonl, tmp_path: Path) -> None:
    before = export_jsonl()
    items = [
        {"paper": {"id": "2501.00001", "summary": "a" * 10_000_000, "publishedAt": None}},
        {"paper": {"id": "2501.00002", "summary": "short"}, "title": "Small Enough"},
    ]
    items[0]["title"] = STORED_TITLE
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items), encoding="utf-8")

    _, err, failure = run_import(path)

    assert failure is not None
    assert "line 1: 'summary' is too long" in err
    assert Paper.objects.filter(public_id="2501.00002").exists()
    assert not Paper.objects.filter(public_id="2501.00001").exists()
    assert export_jsonl().startswith(before)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"paper": {"id": "2501.00001"}, "title": "cut', "not valid JSON"),
        (b'["caf\xe9"]', "not UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=["truncated-array", "non-utf8-array", "array-of-numbers", "deeply-nested-array"],
)
def test_bad_json_array_files(
    content: bytes, message: str, small_feed, export_jsonl, tmp_path: Path
) -> None:
    before = export_jsonl()
    path = tmp_path / "daily.json"
    path.write_bytes(content)

    _, err, failure = run_import(path)

    assert failure is not None
    assert message in err and "line 1:" in err
    assert export_jsonl() == before


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_papers", str(tmp_path / "missing.jsonl"))


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="a directory, not a file"):
        call_command("import_papers", str(tmp_path))


def test_jsonl_whose_first_line_is_an_array(small_feed, export_jsonl, tmp_path: Path) -> None:
    """A bad first line starting with '[' must not turn the file into one bad JSON array."""
    before = export_jsonl()
    path = tmp_path / "starts-with-array.jsonl"
    path.write_bytes(b'["Lemmas Without Morphology", 999]\n' + good("Still Imported") + b"\n")

    _, err, failure = run_import(path)

    assert failure is not None
    assert "line 1: expected a JSON object, got list" in err
    assert Paper.objects.filter(title="Still Imported").exists()
    assert export_jsonl().startswith(before)
