"""Two records with different ids are different papers, whatever their titles.

Test collections repeat titles: 17 of Cranfield's 1,400 documents are called "note on
creep buckling of columns". An import that matched them by title kept one and lost the
others. A title is only evidence when the record has no id at all; such a merge is
reported with the line numbers of both records (or the id of the stored paper).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paperwire.papers.ids import short_id
from paperwire.papers.models import Paper
from support import run_cli, write_jsonl

pytestmark = pytest.mark.django_db

CREEP = "note on creep buckling of columns"

# Cranfield-like: documents with their own ids, several of them sharing one title.
CRANFIELD = [
    {
        "id": f"cran-{n}",
        "title": CREEP if n in (3, 5, 8, 13) else f"report {n} on flow",
        "summary": f"text {n}",
    }
    for n in range(1, 16)
]


def test_records_with_different_ids_and_one_title_are_all_kept(
    import_rows: Callable[[list[Any]], Any], export_jsonl: Callable[[], str]
) -> None:
    result = import_rows(CRANFIELD)
    assert (result.created, result.updated, result.problems) == (15, 0, [])
    creep = Paper.objects.filter(title=CREEP).order_by("public_id")
    assert [p.public_id for p in creep] == ["cran-13", "cran-3", "cran-5", "cran-8"]
    assert sorted(p.abstract for p in creep) == ["text 13", "text 3", "text 5", "text 8"]
    exported = [json.loads(line) for line in export_jsonl().splitlines()]
    assert sorted(row["id"] for row in exported) == sorted(row["id"] for row in CRANFIELD)

    again = import_rows(CRANFIELD)  # idempotent: every record finds its own paper
    assert (again.created, again.updated, again.unchanged) == (0, 0, 15)


def test_a_new_id_never_takes_over_a_stored_paper_with_the_same_title(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    import_rows([{"id": "doc-1", "title": CREEP, "summary": "the first"}])
    result = import_rows([{"id": "doc-2", "title": CREEP.upper() + "!", "summary": "another"}])
    assert result.created == 1 and not result.problems
    assert Paper.objects.get(public_id="doc-1").abstract == "the first"
    assert Paper.objects.get(public_id="doc-2").abstract == "another"


def test_an_arxiv_record_is_another_paper_than_a_stored_one_without_an_id(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    import_rows([{"title": "Evidence of Meaning", "summary": "x"}])
    result = import_rows([{"id": "2305.11169", "title": "Evidence of meaning"}])
    assert result.created == 1
    assert sorted(Paper.objects.values_list("public_id", flat=True)) == sorted(
        ["2305.11169", short_id("Evidence of Meaning")]
    )


def test_a_record_without_an_id_merges_by_title_and_says_with_which_line(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    result = import_rows(
        [
            {"id": "2401.00001", "title": "Attention", "summary": "with an id"},
            {"title": "Unrelated", "summary": "u"},
            {"title": "ATTENTION!", "num_authors": 8},
        ]
    )
    assert (result.created, result.updated) == (2, 1)
    paper = Paper.objects.get(public_id="2401.00001")
    assert (paper.abstract, paper.num_authors) == ("with an id", 8)
    assert [str(p) for p in result.problems] == [
        "line 3: has no id; merged by its title with line 1 (2401.00001)"
    ]
    assert all(p.stored for p in result.problems)


def test_a_title_merge_with_a_paper_stored_before_names_that_paper(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    import_rows([{"id": "2401.00001", "title": "Attention", "summary": "with an id"}])
    result = import_rows([{"title": "attention", "upvotes": 3}])
    assert (result.created, result.updated) == (0, 1)
    assert [str(p) for p in result.problems] == [
        "line 1: has no id; merged by its title with the stored paper 2401.00001"
    ]


def test_a_title_shared_by_papers_with_ids_is_not_guessed(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    import_rows(CRANFIELD)
    result = import_rows([{"title": CREEP, "summary": "no id"}])
    assert result.created == 1
    assert [str(p) for p in result.problems] == [
        "line 1: has no id and its title belongs to 4 stored papers with ids; "
        f"stored as a paper of its own ({short_id(CREEP)})"
    ]
    for n in (3, 5, 8, 13):
        assert Paper.objects.get(public_id=f"cran-{n}").abstract == f"text {n}"
    again = import_rows([{"title": CREEP, "summary": "no id, again"}])
    assert (again.created, again.updated, again.problems) == (0, 1, [])
    assert Paper.objects.get(public_id=short_id(CREEP)).abstract == "no id, again"


def test_records_without_ids_and_one_title_are_one_paper(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    result = import_rows([{"title": "Lexinvariant", "summary": "a"}, {"title": "lexinvariant!"}])
    assert (result.created, result.updated) == (1, 1)
    assert [str(p) for p in result.problems] == [
        f"line 2: has no id; merged by its title with line 1 ({short_id('Lexinvariant')})"
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_cli_prints_both_line_numbers(
    tmp_path: Path, backend_database_url: str, new_data_dir: Callable[[], Path]
) -> None:
    rows = [*CRANFIELD, {"title": "Report 2 on flow", "summary": "no id"}]
    path = write_jsonl(tmp_path / "cranfield.jsonl", rows)
    done = run_cli(
        "import", str(path), data_dir=new_data_dir(), PAPERWIRE_DATABASE_URL=backend_database_url
    )
    assert done.returncode == 0, done.stderr
    assert f"{path}:line 16: has no id; merged by its title with line 2 (cran-2)" in done.stderr
    assert f"{path}: 15 new, 1 updated, 0 unchanged, 1 problem(s)" in done.stdout
    assert Paper.objects.count() == 15
