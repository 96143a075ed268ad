"""What feed readers receive: plain text, never live markup, and always well-formed XML.

The content a reader renders is the *decoded* text of <description> (RSS) or <summary>
(Atom): the XML escaping around it is undone by any XML parser. So these tests parse the
XML, take that decoded text, parse it as HTML as a reader would, and look for what would
run. They also check that control characters, which XML 1.0 cannot carry, neither
break a feed (a 500 for everyone) nor reach it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.etree
import lxml.html
import pytest
from django.test import Client

from paperwire.papers.models import Paper
from paperwire.papers.store import bump_data_version

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "127.0.0.1"}
ATOM = "{http://www.w3.org/2005/Atom}"

HOSTILE_ABSTRACT = (
    'Results <script>alert(1)</script> and <img src=x onerror="alert(2)"> then '
    '<a href="javascript:alert(3)">more</a> <svg onload=alert(4)></svg> '
    '<iframe src="javascript:alert(5)"></iframe> <b onmouseover=alert(6)>bold</b> end.'
)
FEEDS = [
    "/feeds/daily.{fmt}",
    "/feeds/trending.{fmt}",
    "/feeds/category/cs.CL.{fmt}",
    "/feeds/org/evilcorp.{fmt}",
    "/feeds/search.{fmt}?q=results",
]


@pytest.fixture
def hostile_paper(import_rows: Callable[[list[Any]], Any]) -> None:
    result = import_rows(
        [
            {
                "id": "2401.09999",
                "title": "Scripts <script>alert(7)</script> in a title",
                "summary": HOSTILE_ABSTRACT,
                "categories": ["cs.CL"],
                "primary_category": "cs.CL",
                "organization": {"name": "evilcorp", "fullname": "Evil <b>Corp</b>"},
                "feed_date": "2026-01-05",
                "upvotes": 5,
            }
        ]
    )
    assert result.created == 1 and not result.problems


def _items(xml: bytes, fmt: str) -> list[dict[str, str]]:
    """(title, decoded description) of every item, by a strict XML parser."""
    root = lxml.etree.fromstring(xml, lxml.etree.XMLParser(resolve_entities=False))
    if fmt == "rss":
        return [
            {"title": i.findtext("title") or "", "content": i.findtext("description") or ""}
            for i in root.iter("item")
        ]
    return [
        {
            "title": e.findtext(f"{ATOM}title") or "",
            "content": e.findtext(f"{ATOM}summary") or e.findtext(f"{ATOM}content") or "",
        }
        for e in root.iter(f"{ATOM}entry")
    ]


def _what_would_run(html: str) -> list[str]:
    """Elements and attributes of an HTML fragment that a browser would execute."""
    found = []
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in {"script", "iframe", "object", "embed", "svg", "img", "style", "link"}:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{tag} {name}=")
            if value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                found.append(f"{tag} {name}={value[:20]}")
    return found


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("url", FEEDS)
def test_abstracts_reach_readers_as_text_not_markup(
    client: Client, hostile_paper: None, url: str, fmt: str
) -> None:
    response = client.get(url.format(fmt=fmt), **HOST)
    assert response.status_code == 200, response.content[:300]
    items = _items(response.content, fmt)
    assert items, "the hostile paper is in this feed"
    for item in items:
        assert _what_would_run(item["content"]) == []
        assert "<script" not in item["content"].lower()
        # What the abstract says is still there, as text a reader shows.
        text = lxml.html.fragment_fromstring(item["content"], create_parent="div").text_content()
        assert "Results <script>alert(1)</script> and" in text
        assert text.rstrip().endswith("end.")


def test_a_query_in_a_search_feed_is_text_in_atom_and_escaped_in_rss(
    client: Client, hostile_paper: None
) -> None:
    query = "<img src=x onerror=alert(1)> results"
    atom = lxml.etree.fromstring(client.get("/feeds/search.atom", {"q": query}, **HOST).content)
    # Atom titles and subtitles without a type are text: readers show them as written.
    for name in ("title", "subtitle"):
        element = atom.find(f"{ATOM}{name}")
        assert element is not None and element.get("type") in (None, "text")
        assert query in (element.text or "")
    rss = lxml.etree.fromstring(client.get("/feeds/search.rss", {"q": query}, **HOST).content)
    # RSS readers render the channel description as HTML.
    description = rss.findtext("channel/description") or ""
    assert _what_would_run(description) == []
    assert query in lxml.html.fragment_fromstring(description, create_parent="div").text_content()


@pytest.fixture
def paper_with_control_characters(hostile_paper: None, backend: str) -> None:
    """Text stored before the import cleaned control characters (or by some other way in):
    written straight to the database, as an old database would hold it. (PostgreSQL
    text cannot hold NUL at all.)"""
    nul = "\x00" if backend == "sqlite" else ""
    Paper.objects.filter(arxiv_id="2401.09999").update(
        title="A title\u000bwith a vertical tab\x01",
        abstract=f"An abstract{nul} with NUL,\x1b escape and \x7f delete.\nSecond line.",
    )
    bump_data_version()


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("url", ["/feeds/daily.{fmt}", "/feeds/trending.{fmt}"])
def test_stored_control_characters_do_not_break_the_feed(
    client: Client, paper_with_control_characters: None, url: str, fmt: str
) -> None:
    response = client.get(url.format(fmt=fmt), **HOST)
    assert response.status_code == 200, response.content[:300]
    (item,) = _items(response.content, fmt)
    assert item["title"] == "A title with a vertical tab"
    assert "An abstract with NUL, escape and  delete." in item["content"]
    assert "Second line." in item["content"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("query", ["\x00", "\x01", "%00", "results\x01", "results\x0b\x1f"])
def test_control_characters_in_a_search_feed_query(
    client: Client, hostile_paper: None, query: str, fmt: str
) -> None:
    response = client.get(f"/feeds/search.{fmt}", {"q": query}, **HOST)
    # Nothing but control characters is no query (404, as for an empty one).
    assert response.status_code == (404 if query.strip("\x00\x01%") == "" else 200)
    if response.status_code == 200:
        root = lxml.etree.fromstring(response.content)  # well-formed XML 1.0
        assert lxml.etree.tostring(root)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_public_collection_feed_carries_abstracts_and_its_description_as_text(
    client: Client, hostile_paper: None, fmt: str
) -> None:
    from django.contrib.auth.models import User

    from paperwire.community import library

    owner = User.objects.create_user("ada", "ada@example.org", "a long enough password 1")
    description = "Where D<n holds & <img src=x onerror=alert(8)> too"
    collection = library.create_collection(owner, "Hostile", description, public=True)
    library.add_to_collection(collection, Paper.objects.get(arxiv_id="2401.09999"))
    response = client.get(f"/collections/{collection.pk}.{fmt}", **HOST)
    assert response.status_code == 200, response.content[:300]
    [item] = _items(response.content, fmt)
    assert _what_would_run(item["content"]) == []
    text = lxml.html.fragment_fromstring(item["content"], create_parent="div").text_content()
    assert "Results <script>alert(1)</script> and" in text
    assert text.rstrip().endswith("end.")
    root = lxml.etree.fromstring(response.content)
    if fmt == "rss":
        # RSS readers render the channel description as HTML.
        channel = root.findtext("channel/description") or ""
        assert _what_would_run(channel) == []
        assert lxml.html.fragment_fromstring(channel, create_parent="div").text_content() == (
            description
        )
    else:
        # RFC 4287: every entry has exactly one <updated>.
        [entry] = root.iter(f"{ATOM}entry")
        assert len(entry.findall(f"{ATOM}updated")) == 1
