"""Parsing the query language: never an error, anything unknown is plain text."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.search.query import fts_match, parse_query


def test_words_phrases_and_exclusions() -> None:
    q = parse_query('state space "linear attention" -mamba -"vision transformer"')
    assert q.terms == ["state", "space"]
    assert q.phrases == ["linear attention"]
    assert q.excluded == ["mamba", "vision transformer"]
    assert q.text == "state space linear attention"


def test_filters() -> None:
    q = parse_query(
        'author:"Ada Lovelace" cat:cs.CL org:tencent year:2024 after:2024-06-01 '
        "before:2025-01 sort:upvotes diffusion"
    )
    assert q.authors == ["Ada Lovelace"]
    assert q.cats == ["cs.CL"]
    assert q.orgs == ["tencent"]
    assert q.year == 2024
    assert q.after == dt.date(2024, 6, 1)
    assert q.before == dt.date(2025, 1, 1)
    assert q.sort == "upvotes"
    assert q.terms == ["diffusion"]
    assert q.notes == []


def test_chips_remove_one_filter_each() -> None:
    q = parse_query("diffusion year:2024 org:tencent")
    chips = dict(q.chips())
    assert chips["year: 2024"] == "diffusion org:tencent"
    assert chips["org: tencent"] == "diffusion year:2024"
    # Words are not chips.
    assert all(not label.startswith("diffusion") for label in chips)


def test_unknown_filters_and_bad_values_are_text_or_notes() -> None:
    q = parse_query("foo:bar year:20x4 after:yesterday before:2024-13-45 sort:weird")
    assert q.terms == ["foo", "bar"]
    assert q.year is None and q.after is None and q.before is None
    assert q.sort == "relevance"
    assert len(q.notes) == 4
    assert any("year:20x4" in n for n in q.notes)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        '"',
        '"unbalanced quote',
        'a "b c',
        "NEAR(a b, 3)",
        "a AND b OR c NOT d",
        "*",
        "^title",
        "title:foo",
        ":",
        "-",
        "--x",
        "(((",
        "x" * 10_000,
        "é" * 5000,
        "\x00\x01\x02",
        "'; DROP TABLE papers_paper; --",
        "<script>alert(1)</script>",
    ],
)
def test_any_input_parses_to_a_safe_fts_expression(raw: str) -> None:
    q = parse_query(raw)
    expr = fts_match(q)
    if expr is not None:
        # Only quoted strings and the operators we put between them.
        stripped = expr
        for part in [*q.terms, *q.phrases, *q.excluded]:
            stripped = stripped.replace('"' + part.lower().replace('"', '""') + '"', "")
            stripped = stripped.replace('"' + part.replace('"', '""') + '"', "")
        assert set(stripped.replace("AND", "").replace("OR", "").replace("NOT", "")) <= set(
            " ()"
        ), expr


def test_long_query_is_cut_with_a_note() -> None:
    q = parse_query("word " * 3000)
    assert len(q.terms) <= 32
    assert q.notes


def test_or_semantics_drop_stopwords_but_keep_phrases() -> None:
    q = parse_query('the reasoning of "large language" models')
    expr = fts_match(q)
    assert expr == '"large language" AND ("reasoning" OR "models")'


def test_tex_markup_is_read_as_papers_are() -> None:
    q = parse_query('Schr\\"odinger na\\"{\\i}ve "Poincar\\\'e maps" -Erd\\H{o}s')
    assert q.terms == ["Schrödinger", "naïve"]
    assert q.phrases == ["Poincaré maps"]
    assert q.excluded == ["Erdős"]
    assert parse_query('"the Schr\\"odinger equation"').phrases == ["the Schrödinger equation"]
