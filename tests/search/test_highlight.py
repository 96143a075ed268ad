"""Snippets mark the query's words, inflected as the stemmer matches them, and escape HTML."""

from __future__ import annotations

from paperwire.search.highlight import highlight, snippet
from paperwire.search.query import parse_query


def test_marks_words_and_their_inflections_only() -> None:
    html = highlight("Modern models for modeling and reasoning", parse_query("models reasoning"))
    assert html == (
        "Modern <mark>models</mark> for <mark>modeling</mark> and <mark>reasoning</mark>"
    )


def test_escapes_text_and_query() -> None:
    html = highlight("<b>bold</b> & models", parse_query("<b> models"))
    assert "<b>" not in html and "&lt;b&gt;" in html and "<mark>models</mark>" in html


def test_snippet_centres_on_the_first_match() -> None:
    text = "filler " * 100 + "the gazpacho result " + "filler " * 100
    html = snippet(text, parse_query("gazpacho"), width=120)
    assert "<mark>gazpacho</mark>" in html
    assert html.startswith("… ") and html.endswith(" …")
    assert len(html) < 200


def test_marks_words_whatever_their_diacritics() -> None:
    text = "A naïve Schrödinger solver, by Erdős"
    assert highlight(text, parse_query("naive schrodinger erdos")) == (
        "A <mark>naïve</mark> <mark>Schrödinger</mark> solver, by <mark>Erdős</mark>"
    )
    assert highlight("naive Schrodinger", parse_query("naïve Schrödinger")) == (
        "<mark>naive</mark> <mark>Schrodinger</mark>"
    )
    # TeX in the query is read as the index reads it; text written decomposed is composed.
    assert highlight("A nai\u0308ve idea", parse_query('na\\"ive')) == "A <mark>naïve</mark> idea"
    html = snippet("filler " * 100 + "a naïve result " + "filler " * 100, parse_query("naive"))
    assert "<mark>naïve</mark>" in html
