"""arXiv's TeX markup in abstracts reads as text on pages, in feeds and in mail; what
is stored, exported and served by the API stays the authors' text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paperwire.papers.tex import readable

TEX = (
    r"A na\"ive baseline, Schr\"{o}dinger's {\'e}quations and Erd\H{o}s, with "
    r"\textbf{1.75$\times$ faster} decoding \emph{and} 91\% accuracy on \( A \)."
)
READ = (
    "A naïve baseline, Schrödinger's équations and Erdős, with "
    "1.75\u00d7 faster decoding and 91% accuracy on \\( A \\)."
)


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"na\"ive", "naïve"),
        (r"na\"{i}ve", "naïve"),
        (r"na{\"i}ve", "naïve"),
        (r"na\"{\i}ve", "naïve"),
        (r"Fran\c{c}ais, {\v S}imon, \c c", "Français, Šimon, ç"),
        (r"\ss{} \o{} {\aa}", "ß ø å"),
        (r"91\% \& \_ \# \$5", "91% & _ # $5"),
        (r"\textbf{fast \emph{very}} models", "fast very models"),
        (r"\(\sim\)10, $\pm$1, $\alpha$", "~10, \u00b11, \u03b1"),
        (r"wait\ldots done", "wait… done"),
        (
            "a ``world model'' and ``the model's view''",
            "a \u201cworld model\u201d and \u201cthe model's view\u201d",
        ),
        # only a pair is a quotation: a prime in math stays
        ("$f''(x)$ and `` alone", "$f''(x)$ and `` alone"),
        # Not plain text: left for the reader.
        (r"\cite{x} \cedilla \method works", r"\cite{x} \cedilla \method works"),
        (r"$x^2 \times y$ and \( A \)", r"$x^2 \times y$ and \( A \)"),
        (r"\mathbb{R} \le", r"\mathbb{R} \le"),
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
    ],
)
def test_readable(tex: str, text: str) -> None:
    assert readable(tex) == text


@pytest.fixture
def tex_paper(import_rows: Callable[[list[Any]], Any]) -> None:
    result = import_rows(
        [
            {
                "id": "2401.07777",
                "title": "Decoding with Drafts",
                "summary": TEX,
                "categories": ["cs.CL"],
                "primary_category": "cs.CL",
                "feed_date": "2026-01-05",
                "upvotes": 4,
            }
        ]
    )
    assert result.created == 1 and not result.problems


@pytest.mark.django_db
def test_pages_and_feeds_show_it_readable(client: Client, tex_paper: None) -> None:
    from django.utils.html import escape

    shown = escape(READ)
    for url in ("/papers/2401.07777", "/?date=2026-01-05", "/search?q=decoding+drafts"):
        html = client.get(url).content.decode()
        assert "naïve" in html and "91%" in html, url
        assert r"na\"ive" not in html and r"91\%" not in html, url
    page = client.get("/papers/2401.07777").content.decode()
    # The text reads as text; the formula at its end is drawn (test_abstract_math.py).
    assert shown.removesuffix(r"\( A \).") in page
    assert "<mi>A</mi>" in page
    for url in ("/feeds/daily.rss", "/feeds/daily.atom"):
        body = client.get(url, HTTP_HOST="127.0.0.1").content.decode()
        assert "naïve" in body and "1.75\u00d7 faster" in body and r"\textbf" not in body, url
        assert r"\( A \)" in body and "<math" not in body, url  # feeds keep formulas as TeX


@pytest.mark.django_db
def test_the_api_and_the_export_keep_the_authors_text(
    client: Client, tex_paper: None, export_jsonl: Callable[[], str]
) -> None:
    assert client.get("/api/papers/2401.07777").json()["summary"] == TEX
    [row] = [json.loads(line) for line in export_jsonl().splitlines()]
    assert row["summary"] == TEX
