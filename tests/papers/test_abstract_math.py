"""Formulas in abstracts are drawn as MathML on paper pages and feed cards; the MathML
is rebuilt from an allowlist, so nothing typed in a formula reaches a page as markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paperwire.papers.tex import abstract_html, abstract_preview_html, formula_mathml


def test_inline_and_display_formulas_become_mathml() -> None:
    html = abstract_html(r"We show \( x^2 \) and $O(\sqrt{n})$, then $$\sum_i a_i$$ and \[E\].")
    assert html.count("<math") == 4
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in html and "<msqrt>" in html
    assert html.count('display="block"') == 2 and html.count("tex-math-block") == 2
    assert html.startswith("We show <math") and html.endswith("</math></span>.")


def test_text_around_formulas_is_readable_and_escaped() -> None:
    html = abstract_html(r"A na\"ive <b>model</b>: 91\% at $\times$ 2 \& $k$ steps.")
    assert html.startswith("A naïve &lt;b&gt;model&lt;/b&gt;: 91% at \u00d7 2 &amp; <math")


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10 today.",  # dollars, not math (pandoc's rule)
        r"Escaped \$3 and \$4.",
        "A lone $ sign.",
        r"Broken $\frac{1}{$ here.",
        "Too deep $" + "{" * 20 + "x" + "}" * 20 + "$.",
        "Too long $" + "x+" * 300 + "x$.",
    ],
)
def test_what_is_not_a_readable_formula_stays_text(text: str) -> None:
    html = abstract_html(text)
    assert "<math" not in html
    assert "$" in html


@pytest.mark.parametrize(
    "tex",
    [
        r"\text{<img src=x onerror=alert(1)>}",
        r"\text{<script>alert(1)</script>}",
        r"\href{javascript:alert(1)}{x}",
        r"\style{background:url(x)}{y}",
        r"\color{red}{z} \class{evil}{w} \mathrm{d}x",
        r"\text{&lt;b&gt;} \text{\"}",
    ],
)
def test_nothing_in_a_formula_reaches_the_page_as_markup(tex: str) -> None:
    mathml = formula_mathml(tex)
    assert mathml is not None
    tags = set(re.findall(r"<([a-zA-Z][\w-]*)", mathml))
    assert tags <= {"math", "mrow", "mi", "mn", "mo", "mtext", "mstyle", "mspace"}, tags
    attributes = {
        a for tag in re.findall(r"<[a-z][^>]*>", mathml) for a in re.findall(r"\s([\w:-]+)=", tag)
    }
    assert attributes <= {"xmlns", "display", "mathvariant", "stretchy", "width"}, attributes
    assert "javascript" not in mathml and "<img" not in mathml and "<b>" not in mathml


def test_a_wide_formula_scrolls_in_its_own_box() -> None:
    wide = abstract_html("$" + " + ".join(f"a_{i}" for i in range(20)) + "$")
    narrow = abstract_html("$a + b$")
    assert wide.startswith('<span class="tex-math"><math')
    assert narrow.startswith("<math")


@pytest.fixture
def math_paper(import_rows: Callable[[list[Any]], Any]) -> None:
    result = import_rows(
        [
            {
                "id": "2401.08888",
                "title": "Linear Recurrences",
                "summary": (
                    r"We solve \( x'(t) = Ax(t) \) in $O(\sqrt{n})$ time for 91\% of inputs."
                ),
                "categories": ["cs.LG"],
                "primary_category": "cs.LG",
                "feed_date": "2026-01-05",
                "upvotes": 3,
            }
        ]
    )
    assert result.created == 1 and not result.problems


@pytest.mark.django_db
def test_the_paper_page_and_the_feed_card_draw_the_formulas(
    client: Client, math_paper: None
) -> None:
    for url in ("/papers/2401.08888", "/?date=2026-01-05"):
        html = client.get(url).content.decode()
        assert html.count("<math") == 2, url
        assert "<msqrt>" in html and "91% of inputs" in html, url
        assert r"\sqrt" not in html.split("<head>", 1)[1].split("</head>", 1)[1], url


@pytest.mark.django_db
def test_the_api_feeds_and_the_page_head_keep_the_tex(client: Client, math_paper: None) -> None:
    summary = client.get("/api/papers/2401.08888").json()["summary"]
    assert r"\( x'(t) = Ax(t) \)" in summary
    feed = client.get("/feeds/daily.rss", HTTP_HOST="127.0.0.1").content.decode()
    assert r"$O(\sqrt{n})$" in feed and "<math" not in feed
    head = client.get("/papers/2401.08888").content.decode().split("</head>", 1)[0]
    assert "<math" not in head and r"$O(\sqrt{n})$" in head


LONG_MATH_ABSTRACT = (
    r"We show that attention over $n$ tokens costs $O(n \log n)$ time. Given $x \in "
    r"\mathbb{R}^d$, we bound the error by $\epsilon < 10^{-3}$ on 91\% of inputs. "
    + "Plain words follow the formulas. "
    * 12
)


def test_a_card_preview_draws_its_formulas_and_never_cuts_one() -> None:
    preview = abstract_preview_html(LONG_MATH_ABSTRACT, 320)
    assert preview.count("<math") == 4 and "91% of inputs" in preview
    assert "$" not in preview and "\\log" not in preview and "\\mathbb" not in preview
    assert preview.endswith("…") and len(re.sub(r"<math.*?</math>", "", preview)) < 320
    # a cut that would fall inside a formula falls before it, with no half formula
    for length in range(20, 80):
        cut = abstract_preview_html(LONG_MATH_ABSTRACT, length)
        assert "$" not in cut and cut.endswith("…"), (length, cut)
        assert cut.count("<math") == cut.count("</math>"), length
    # "$O(n \log n)$" would end past 46 characters: the cut comes before it
    cut = abstract_preview_html(LONG_MATH_ABSTRACT, 46)
    assert cut.startswith("We show that attention over <math") and cut.count("<math") == 1
    assert cut.endswith("</math> tokens costs…"), cut
    assert abstract_preview_html("plain " * 100, 20) == "plain plain plain p…"


@pytest.mark.django_db
def test_a_folded_long_abstract_on_a_card_shows_math_not_tex(
    client: Client, import_rows: Callable[[list[Any]], Any]
) -> None:
    row = {"id": "2401.09999", "title": "Fast Attention", "summary": LONG_MATH_ABSTRACT}
    result = import_rows([{**row, "feed_date": "2026-01-05", "upvotes": 1}])
    assert result.created == 1 and not result.problems

    html = client.get("/?date=2026-01-05").content.decode()
    summary = html.split('<span class="abstract-short">', 1)[1].split("</span> <span", 1)[0]
    assert summary.count("<math") == 4, summary
    assert "$" not in summary and "\\log" not in summary, summary


@pytest.mark.parametrize(
    ("tex", "row"),
    [
        # TeX's thin space on each side of an operator name, none before a bracket
        (r"O(n \log n)", "<mi>n</mi>{thin}<mi>log</mi>{apply}{thin}<mi>n</mi>"),
        (r"p(x) \log p(x)", "</mo>{thin}<mi>log</mi>{apply}{thin}<mi>p</mi>"),
        (r"\exp(x)", '<mi>exp</mi>{apply}<mo stretchy="false">(</mo>'),
        (r"a = \ln n", "<mo>=</mo><mi>ln</mi>{apply}{thin}<mi>n</mi>"),
        (r"\sin^2 x", "<msup><mi>sin</mi><mn>2</mn></msup>{apply}{thin}<mi>x</mi>"),
    ],
)
def test_an_operator_name_is_spaced_from_its_argument(tex: str, row: str) -> None:
    mathml = formula_mathml(tex)
    assert mathml is not None
    thin, apply = '<mspace width="0.1667em"></mspace>', "<mo>\u2061</mo>"
    assert row.format(thin=thin, apply=apply) in mathml, mathml


@pytest.mark.django_db
def test_a_title_with_a_formula_is_drawn_in_lists_of_papers(
    client: Client, import_rows: Callable[[list[Any]], Any]
) -> None:
    author = [{"name": "Ada Lovelace"}]
    rows = [
        {"id": "2401.09001", "title": r"Sorting Attention Heads in $O(n \log n)$ Time"},
        {"id": "2401.09002", "title": "Sorting Attention Heads Quickly", "feed_date": "2026-01-05"},
    ]
    result = import_rows([{**row, "summary": "About sorting.", "authors": author} for row in rows])
    assert result.created == 2 and not result.problems

    page = client.get("/papers/2401.09002").content.decode()
    related = page.split('class="related"', 1)[1]
    author_url = re.search(r'href="(/authors/[^"]+)"', page)
    assert author_url is not None
    author_page = client.get(author_url.group(1)).content.decode().split("</head>", 1)[1]
    for html in (related, author_page):
        assert "Sorting Attention Heads in <math" in html
        # what a reader sees (attributes such as aria-label aside) has no TeX
        assert r"$O(n \log n)$" not in re.sub(r"<[^>]*>", "", html)
