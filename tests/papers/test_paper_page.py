"""A paper's page, its Markdown form, and the 404 page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def test_paper_page(client: Client, small_feed) -> None:
    response = client.get("/papers/2401.01234")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="paper-title">Structured State Spaces, Revisited</h1>' in html
    assert "arXiv:2401.01234" in html
    assert "S4 with named authors and an arXiv id." in html
    assert re.search(r'>Ada Lovelace</a>, <a class="author" href="/authors/\d+">Alan Turing<', html)
    assert 'href="https://arxiv.org/abs/2401.01234"' in html
    assert 'href="https://arxiv.org/pdf/2401.01234"' in html
    assert '<a href="/papers/2401.01234.md">Markdown</a>' in html
    assert '<a href="/api/papers/2401.01234">JSON</a>' in html
    # Its day in the feed, and its upvotes.
    assert '<a href="/?date=2026-01-05">Jan 5, 2026</a>' in html
    assert "<dt>Upvotes</dt><dd>3</dd>" in html


def test_paper_page_has_link_preview_tags(client: Client, small_feed) -> None:
    # A shared link shows the paper's title and abstract, and names one URL for it.
    html = client.get("/papers/2401.01234v2", follow=True).content.decode()

    assert '<meta property="og:title" content="Structured State Spaces, Revisited">' in html
    assert '<meta property="og:description" content="S4 with named authors' in html
    assert '<meta property="og:url" content="http://testserver/papers/2401.01234">' in html
    assert '<link rel="canonical" href="http://testserver/papers/2401.01234">' in html
    assert '<meta property="og:type" content="article">' in html


def test_link_preview_tags_are_escaped(client: Client, small_feed) -> None:
    from paperwire.papers.records import PaperRecord
    from paperwire.papers.store import bump_data_version, upsert_paper

    upsert_paper(
        PaperRecord(
            title='A "quoted" <title> & more',
            arxiv_id="2401.09999",
            abstract='An abstract with "quotes" and <script>alert(1)</script>.',
        )
    )
    bump_data_version()
    html = client.get("/papers/2401.09999").content.decode()

    assert 'og:title" content="A &quot;quoted&quot; &lt;title&gt; &amp; more"' in html
    assert "<script>alert" not in html


def test_paper_page_of_a_paper_without_arxiv_id(client: Client, small_feed) -> None:
    paper = Paper.objects.get(title="Hidden-State Clustering for Verification")

    html = client.get(f"/papers/{paper.public_id}").content.decode()

    assert f"Paper {paper.public_id}" in html
    assert '<span class="org-handle">tencent</span> Tencent' in html
    assert "arxiv.org" not in html


def test_paper_markdown(client: Client, small_feed) -> None:
    response = client.get("/papers/2401.01234.md")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# Structured State Spaces, Revisited\n")
    assert "Authors: Ada Lovelace, Alan Turing" in text
    assert "In the daily feed: 2026-01-05" in text
    assert "[arXiv](https://arxiv.org/abs/2401.01234)" in text
    assert "[Paper page](http://testserver/papers/2401.01234)" in text
    assert "## Abstract\n\nS4 with named authors and an arXiv id." in text


def test_markdown_facts_render_one_a_line(client: Client, small_feed) -> None:
    from markdown_it import MarkdownIt

    html = MarkdownIt().render(client.get("/papers/2401.01234.md").content.decode())

    assert "<li>Authors: Ada Lovelace, Alan Turing</li>" in html
    assert "<li>In the daily feed: 2026-01-05</li>" in html


def test_markdown_of_a_paper_with_an_author_count(client: Client, small_feed) -> None:
    paper = Paper.objects.get(title="Lemmas Without Morphology")

    text = client.get(f"/papers/{paper.public_id}.md").content.decode()

    assert "Authors: 2 authors" in text
    assert "Published: 2023-02-01" in text


@pytest.mark.parametrize(
    "url", ["/papers/2401.99999", "/papers/2401.99999.md", "/papers/pwaaaaaaaaaa"]
)
def test_unknown_paper_is_a_real_404_page(client: Client, small_feed, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1" in html and "404" in html
    assert "No paper has this id." in html
    assert '<nav aria-label="Main">' in html  # the site's own page, not a bare error


def test_unknown_url_is_a_404_page(client: Client) -> None:
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "There is no page here." in response.content.decode()


def test_html_in_paper_text_is_escaped(client: Client, import_rows) -> None:
    import_rows(
        [
            {
                "id": "2401.00666",
                "title": "<script>alert('title')</script> Attack",
                "summary": "<img src=x onerror=alert(1)> abstract",
                "authors": [{"name": "<b>Mallory</b>"}],
                "organization": {"name": "evil", "fullname": "<i>Evil</i> Corp"},
                "feed_date": "2026-01-05",
            }
        ]
    )

    for url in ("/papers/2401.00666", "/?date=2026-01-05", "/week/2026-W02"):
        html = client.get(url).content.decode()
        assert "<script>alert(" not in html
        assert "<img src=x" not in html
        assert "<b>Mallory</b>" not in html
        assert "<i>Evil</i>" not in html
        assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Attack" in html


def test_a_versioned_arxiv_id_redirects_to_the_paper(client: Client, small_feed) -> None:
    page = client.get("/papers/2401.01234v2")
    assert page.status_code == 302 and page["Location"] == "/papers/2401.01234"
    md = client.get("/papers/2401.01234v1.md")
    assert md.status_code == 302 and md["Location"] == "/papers/2401.01234.md"
    assert client.get("/papers/2401.99999v1").status_code == 404


def test_markdown_shows_html_in_stored_text_as_text(client: Client, import_rows) -> None:
    # CommonMark passes raw HTML through: a renderer of the .md must show these as text.
    from markdown_it import MarkdownIt

    hostile = {
        "id": "2401.06666",
        "title": "Attacks <img src=x onerror=alert(1)> on a < b",
        "summary": "We show </p><script>alert(2)</script> and <!-- x --> with $a<b$.",
        "ai_summary": "<a href='javascript:alert(3)'>click</a>",
        "authors": [{"name": "<b>Mallory</b>"}],
        "organization": {"name": "evil", "fullname": "<iframe src=x></iframe>"},
        "ai_keywords": ["<svg onload=alert(4)>"],
        "code_url": "https://code.test/a b)<img src=y onerror=alert(5)>",
        "project_url": 'https://project.test/"><script>alert(6)</script>',
        "media_urls": ["https://media.test/m><script>alert(7)</script>"],
        "feed_date": "2026-01-05",
    }
    assert import_rows([hostile]).created == 1

    text = client.get("/papers/2401.06666.md").content.decode()
    html = MarkdownIt("commonmark").render(text)

    for tag in (
        "<img",
        "<script",
        "<iframe",
        "<svg",
        "<b>",
        "<!--",
        'href="javascript',
        "<a href='",
    ):
        assert tag not in html, (tag, html)
    # Shown as the characters they are; "a < b" and TeX untouched.
    assert "Attacks &lt;img src=x onerror=alert(1)&gt; on a &lt; b" in html
    assert "with $a\\<b$." in text and "on a < b" in text
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    # Links still lead where they did, their odd characters %-encoded.
    assert 'href="https://code.test/a%20b%29%3Cimg%20src=y%20onerror=alert%285%29%3E"' in html
    assert 'href="https://project.test/%22%3E%3Cscript%3Ealert%286%29%3C/script%3E"' in html
