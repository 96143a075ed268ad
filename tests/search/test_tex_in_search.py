"""Search reads a paper's TeX markup as its pages do: `na\\"ive` and `Schr\\"odinger` are
found by "naive", "naïve", "Schrödinger" and "Schrodinger" (and by the TeX itself), on
every surface and both databases, while what is stored and served stays as written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from paperwire.papers.models import Paper
from paperwire.search.backends import search_backend
from paperwire.search.engine import search
from paperwire.search.fts_sql import FTS_TABLE
from paperwire.search.highlight import snippet
from paperwire.search.pg_sql import DOC_TABLE
from paperwire.search.query import parse_query
from support import write_jsonl

TITLE = 'A na\\"ive look at the Schr\\"odinger equation'
ABSTRACT = (
    "We revisit Poincar\\'e maps and Erd\\H{o}s problems: 91\\% of \\textbf{gazpacho} "
    'solutions are na\\"{\\i}ve, and the Schr\\"odinger picture explains why.'
)
ROWS = [
    {"id": "2401.07777", "title": TITLE, "summary": ABSTRACT, "authors": [{"name": "Kurt Gödel"}]},
    {"id": "2401.07778", "title": "An unrelated paper", "summary": "About soup, not equations."},
]
QUERIES = ["naive", "naïve", "Schrödinger", "Schrodinger", 'Schr\\"odinger', "erdos", "Poincaré"]


@pytest.fixture
def tex_paper(import_rows: Callable[[list[Any]], Any]) -> Paper:
    assert import_rows(ROWS).created == 2
    return Paper.objects.get(arxiv_id="2401.07777")


def test_the_paper_keeps_its_tex_and_gets_a_search_text(tex_paper: Paper) -> None:
    assert tex_paper.title == TITLE and tex_paper.abstract == ABSTRACT
    assert tex_paper.search_title == "A naïve look at the Schrödinger equation"
    assert tex_paper.search_abstract is not None
    assert "Poincaré maps and Erdős problems: 91% of gazpacho" in tex_paper.search_abstract
    assert "naïve" in tex_paper.search_abstract
    plain = Paper.objects.get(arxiv_id="2401.07778")
    assert plain.search_title is None and plain.search_abstract is None


@pytest.mark.parametrize("raw", QUERIES)
def test_keyword_search_finds_it_by_its_readable_words(tex_paper: Paper, raw: str) -> None:
    ids, _ = search_backend().keyword_search(parse_query(raw))[0]
    assert ids == [tex_paper.pk]


def test_tex_fragments_are_no_longer_words(tex_paper: Paper) -> None:
    # FTS5 split `na\"ive` into "na" and "ive"; `\textbf` was the word "textbf".
    for raw in ("ive", "textbf", "odinger"):
        assert search(raw, semantic=False).ids == [], raw


def test_the_index_holds_the_readable_text(tex_paper: Paper) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"SELECT title, abstract FROM {FTS_TABLE} WHERE rowid = %s", [tex_paper.pk])
            title, abstract = cur.fetchone()
            assert title == "A naïve look at the Schrödinger equation"
            assert "Erdős" in abstract and "\\" not in abstract
        else:
            cur.execute(
                f"SELECT document::text FROM {DOC_TABLE} WHERE paper_id = %s", [tex_paper.pk]
            )
            document = cur.fetchone()[0]
            # Folded as FTS5 folds them: author names too.
            for lexeme in ("'naiv'", "'schroding'", "'erdo'", "'poincar'", "'godel'"):
                assert lexeme in document, (lexeme, document)
            assert "'ive'" not in document and "'textbf'" not in document


def test_search_page_shows_a_readable_highlighted_title_and_snippet(
    tex_paper: Paper, client: Client
) -> None:
    for raw in ("naive Schrodinger", "naïve Schrödinger", 'na\\"ive'):
        html = client.get("/search", {"q": raw}).content.decode()
        hit = re.search(
            r'<h2 id="h-(\d+)">(.*?)</h2>\s*(.*?)<p class="snippet">(.*?)</p>', html, re.S
        )
        assert hit is not None, html
        assert int(hit.group(1)) == tex_paper.pk
        assert "<mark>naïve</mark>" in hit.group(2)
        snippet = hit.group(4)
        assert "<mark>naïve</mark>" in snippet
        assert "\\" not in hit.group(2) + snippet
    html = client.get("/search", {"q": "Schrodinger"}).content.decode()
    assert "<mark>Schrödinger</mark> equation" in html


def test_api_finds_it_and_serves_the_text_as_written(tex_paper: Paper, client: Client) -> None:
    for raw in QUERIES:
        items = client.get("/api/papers/search", {"q": raw, "mode": "keyword"}).json()
        assert [item["paper"]["id"] for item in items] == ["2401.07777"], raw
        assert items[0]["paper"]["title"] == TITLE
        assert items[0]["paper"]["summary"] == ABSTRACT


def test_a_title_edit_moves_the_search_text_with_it(tex_paper: Paper) -> None:
    tex_paper.title = "Plain again, about gazpacho"
    tex_paper.save(update_fields=["title"])
    tex_paper.refresh_from_db()
    assert tex_paper.search_title is None
    assert search("naive look", semantic=False).ids == [tex_paper.pk]  # from the abstract
    assert search('"naive look"', semantic=False).ids == []
    tex_paper.title = 'Back to \\"Uber'
    tex_paper.save()
    assert search("über", semantic=False).ids == [tex_paper.pk]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_paperwire_import_and_search_on_the_command_line(
    cli: Callable[..., Any], backend_database_url: str, tmp_path: Path
) -> None:
    def run(*args: str) -> Any:
        done = cli(
            *args, data_dir=tmp_path, timeout=180, PAPERWIRE_DATABASE_URL=backend_database_url
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run("import", str(write_jsonl(tmp_path / "tex.jsonl", ROWS)))
    for raw in ("naive", "Schrodinger"):
        items = json.loads(run("search", "--json", "--keyword-only", raw).stdout)
        assert [item["paper"]["id"] for item in items] == ["2401.07777"], raw
        assert items[0]["paper"]["title"] == TITLE


def test_vectors_are_of_the_readable_text(tex_paper: Paper, caching_embedder: Any) -> None:
    from paperwire.search.embeddings import embedding_text, text_hash
    from paperwire.search.models import PaperVector
    from paperwire.search.vectors import embed_missing

    assert embed_missing(embedder=caching_embedder) == 2
    readable_text = embedding_text(tex_paper.searched_title, tex_paper.searched_abstract)
    assert "\\" not in readable_text
    assert readable_text in caching_embedder.cache
    assert PaperVector.objects.get(paper=tex_paper).text_hash == text_hash(readable_text)


def test_related_papers_without_vectors_look_for_the_readable_title_words(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    from paperwire.search.related import related_ids

    rows = [
        {"id": "2401.07781", "title": 'Schr\\"odinger bridges', "summary": "Bridges."},
        {"id": "2401.07782", "title": "The Schrödinger equation", "summary": "Waves."},
    ]
    assert import_rows(rows).created == 2
    paper = Paper.objects.get(arxiv_id="2401.07781")
    (ids, _), method = related_ids(paper)
    assert method == "keywords"
    assert ids == [Paper.objects.get(arxiv_id="2401.07782").pk]


def test_a_result_title_draws_its_formula_and_marks_its_words(
    import_rows: Callable[[list[Any]], Any], client: Client
) -> None:
    row = {"id": "2401.07779", "title": r"Gazpacho Sorting in $O(n \log n)$ Time"}
    assert import_rows([{**row, "summary": "Soup, sorted."}]).created == 1

    html = client.get("/search", {"q": "gazpacho sorting"}).content.decode()
    title = html.split('<h2 id="h-', 1)[1].split("</h2>", 1)[0]
    assert "<mark>Gazpacho</mark> <mark>Sorting</mark> in <math" in title, title
    assert "<mi>log</mi>" in title and "$" not in title and "\\log" not in title, title


def test_a_result_snippet_draws_formulas_whole_and_marks_words(
    import_rows: Callable[[list[Any]], Any], client: Client
) -> None:
    summary = (
        "Filler words come first here. " * 8
        + r"Gazpacho tables cost $O(n \log n)$ and cut errors by $50\%$ on na\"ive soups; "
        + r"the bound $\sum_{i=1}^{n} x_i^2 \le \lambda$ holds. "
        + "More filler words follow. " * 12
    )
    row = {"id": "2401.07780", "title": "Cold Soup Tables", "summary": summary}
    assert import_rows([row]).created == 1

    html = client.get("/search", {"q": "gazpacho"}).content.decode()
    found = html.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "<mark>Gazpacho</mark> tables cost <math" in found, found
    assert "$" not in found and "\\log" not in found and "naïve" in found, found
    assert found.count("<math") == found.count("</math>") >= 2, found
    for width in range(40, 400, 7):  # wherever the window ends, no formula is cut
        cut = snippet(summary, parse_query("gazpacho"), width)
        assert "$" not in cut and cut.count("<math") == cut.count("</math>"), (width, cut)


def test_a_snippet_centres_on_a_word_found_only_in_its_tex_reading() -> None:
    summary = "Filler words come first here. " * 20 + r"A na\"ive gazpacho. " + "More. " * 40
    cut = snippet(summary, parse_query("naive"), 120)
    assert "<mark>naïve</mark>" in cut, cut
