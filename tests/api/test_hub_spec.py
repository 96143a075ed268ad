"""Every endpoint and parameter of the Hub's papers API description, walked against
this site on demo, imported Hub and ingested-style data, each answer validated with
jsonschema against the description's schema (tests/hubspec.py), on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubspec import DAILY_ITEM, DAILY_PAPERS, HUB_DAILY_FILE, PAPER, PAPER_LIST, parameters
from hubspec import problems as schema_problems
from paperwire.community.actions import add_comment
from paperwire.community.models import AuthorClaim, Comment
from paperwire.papers.ids import HUB_ID_RE
from paperwire.papers.models import Author, Paper
from paperwire.papers.transfer import import_file

pytestmark = pytest.mark.django_db

INGESTED = [
    {
        "id": "2401.01234",
        "title": "Structured State Spaces, Revisited",
        "summary": "S4 with named authors and an arXiv id.",
        "published_at": "2024-01-02",
        "authors": [{"name": "Ada Lovelace"}, {"name": "Lena Okafor"}],
        "categories": ["cs.LG"],
        "code_url": "https://github.com/example/s4",
        "feed_date": "2026-01-05",
    },
    {"id": "hep-th/9901001", "title": "An Old Paper", "published_at": "1999-01-04"},
    # No publication date: left out of GET /api/papers, which lists by it.
    {"title": "A Paper Without a Date", "summary": "Undated.", "feed_date": "2026-03-06"},
]


@pytest.fixture
def site(backend: str, demo_feed: None, import_rows: Any) -> dict[str, Any]:
    assert not import_file(HUB_DAILY_FILE).problems
    assert not import_rows(INGESTED).problems
    member = User.objects.create_user("lena", password="pw-for-tests-only", first_name="Lena")
    AuthorClaim.objects.create(
        user=member,
        author=Author.objects.get(name="Lena Okafor"),
        status=AuthorClaim.APPROVED,
        decided_at=dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC),
    )
    paper = Paper.objects.get(public_id="2602.23456")
    first = add_comment(member, paper, "Nice **probes**.", None)
    add_comment(member, paper, "A reply.", first)
    Comment.objects.create(paper=paper, author=member, body="gone", deleted=True)
    Comment.objects.create(paper=paper, author=member, body="spam", hidden=True)
    return {"member": member, "paper": paper}


def answer(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), url
    return response.json()


def valid(validator: Any, url: str, body: Any) -> None:
    found = schema_problems(validator, body)
    assert found == [], f"{url}:\n" + "\n".join(found[:20])


def test_the_walk_covers_every_parameter_of_the_spec() -> None:
    assert set(parameters("/api/daily_papers")) == set(DAILY_WALK)
    assert set(parameters("/api/papers")) == {"cursor", "limit"}
    assert set(parameters("/api/papers/search")) == {"q", "limit"}
    assert set(parameters("/api/papers/{paperId}")) == {"paperId", "field"}


DAILY_WALK = {
    "p": ["0", "1", "9007199254740991"],
    "limit": ["1", "50", "100"],
    "date": ["2026-03-06", "2026-01-05", "2024-02-29"],
    "week": ["2026-W10", "2026-W02", "2026-W52"],
    "month": ["2026-03", "2026-02"],
    "submitter": ["marco-garosi", "akhaliq", "paperwire", "nobody"],
    "sort": ["publishedAt", "trending"],
}


def test_daily_papers_every_parameter(client: Client, site: dict[str, Any]) -> None:
    seen = 0
    for name, values in DAILY_WALK.items():
        for value in values:
            url = f"/api/daily_papers?{name}={value}"
            body = answer(client, url)
            valid(DAILY_PAPERS, url, body)
            seen += len(body)
    assert seen > 100
    hub = answer(client, "/api/daily_papers?date=2026-03-06&sort=publishedAt")
    assert [i["paper"]["id"] for i in hub][:2] == ["2603.01234", "2602.23456"]


def test_daily_papers_every_page_by_the_link_header(client: Client, site: dict[str, Any]) -> None:
    url: str | None = "/api/daily_papers?limit=37"
    ids: list[str] = []
    while url:
        response = client.get(url)
        body = response.json()
        valid(DAILY_PAPERS, url, body)
        ids += [item["paper"]["id"] for item in body]
        link = response.get("Link")
        url = link.split(">")[0].removeprefix("<http://testserver") if link else None
    assert len(ids) == len(set(ids)) == Paper.objects.count()


def test_papers_list_by_cursor(client: Client, site: dict[str, Any]) -> None:
    for limit in ("1", "50", "100"):
        url = f"/api/papers?limit={limit}"
        valid(PAPER_LIST, url, answer(client, url))
    url: str | None = "/api/papers?limit=40"
    listed: list[dict[str, Any]] = []
    while url:
        response = client.get(url)
        body = response.json()
        valid(PAPER_LIST, url, body)
        listed += body
        link = response.get("Link")
        url = link.split(">")[0].removeprefix("<http://testserver") if link else None
    dated = Paper.objects.filter(published_at__isnull=False)
    assert [p["id"] for p in listed] == [
        p.public_id for p in dated.order_by("-published_at", "-pk")
    ]
    hub = next(p for p in listed if p["id"] == "2602.23456")
    assert hub["thumbnailUrl"] == "https://cdn.example.org/thumbnails/2602.23456.png"
    assert hub["organization"]["avatar"] == "https://cdn.example.org/avatars/example-lab.png"
    assert HUB_ID_RE.match(hub["organization"]["_id"])


def test_search_every_parameter(client: Client, site: dict[str, Any]) -> None:
    for query in (
        "q=",
        "q=retrievers",
        "q=" + "a" * 250,
        "limit=1",
        "limit=120",
        "q=probes&limit=3",
    ):
        url = f"/api/papers/search?{query}"
        for item in answer(client, url):
            # The spec gives no answer schema for search: its items are daily items.
            valid(DAILY_ITEM, url, item)
    many = answer(client, "/api/papers/search?q=model&limit=120")
    assert 20 < len(many) <= 120


@pytest.mark.parametrize(
    "paper_id", ["2602.23456", "2602.23456v3", "2401.01234", "hep-th/9901001", "2603.01234"]
)
def test_paper_every_field(client: Client, site: dict[str, Any], paper_id: str) -> None:
    for query in ("", "?field=comments", "?field=submissionDeadline",
                  "?field=comments&field=submissionDeadline"):  # fmt: skip
        url = f"/api/papers/{paper_id}{query}"
        body = answer(client, url)
        valid(PAPER, url, body)
        assert ("comments" in body) == ("comments" in query)
        assert body["linkedModels"] == body["linkedDatasets"] == body["linkedSpaces"] == []
        assert body["numTotalModels"] == body["numTotalDatasets"] == body["numTotalSpaces"] == 0


def test_comments_in_the_hubs_shape(client: Client, site: dict[str, Any]) -> None:
    body = answer(client, "/api/papers/2602.23456?field=comments")
    comments = body["comments"]
    assert len(comments) == 4
    first, reply, deleted, hidden = comments
    assert first["data"]["latest"]["raw"] == "Nice **probes**."
    assert "<strong>probes</strong>" in first["data"]["latest"]["html"]
    assert first["author"]["name"] == "lena" and first["author"]["isMod"] is False
    assert reply["data"]["parentCommentId"] == first["id"]
    for gone in (deleted, hidden):
        assert gone["data"]["hidden"] is True and gone["data"]["latest"]["raw"] == ""
        assert "author" not in gone
    # The imported thread keeps the Hub's id; a native paper has one from its key.
    assert body["discussionId"] == "69aa0c1e5b2f4e00123456ff"
    assert HUB_ID_RE.match(answer(client, "/api/papers/2401.01234")["discussionId"])


def test_a_claimed_author_is_claimed_verified(client: Client, site: dict[str, Any]) -> None:
    authors = answer(client, "/api/papers/2401.01234")["authors"]
    lena = next(a for a in authors if a["name"] == "Lena Okafor")
    assert lena["status"] == "claimed_verified"
    assert lena["statusLastChangedAt"] == "2026-03-07T12:00:00.000Z"
    assert lena["user"]["name"] == "lena" and lena["user"]["fullname"] == "Lena"
    ada = next(a for a in authors if a["name"] == "Ada Lovelace")
    assert set(ada) == {"_id", "name", "hidden"}
    item = answer(client, "/api/daily_papers?date=2026-01-05&limit=100")
    s4 = next(i for i in item if i["paper"]["id"] == "2401.01234")
    assert s4["isAuthorParticipating"] is True


def test_ids_are_stable_24_hex_digits(client: Client, site: dict[str, Any]) -> None:
    one = answer(client, "/api/papers/2401.01234")
    again = answer(client, "/api/papers/2401.01234")
    ids = [a["_id"] for a in one["authors"]] + [one["discussionId"]]
    assert all(HUB_ID_RE.match(i) for i in ids) and len(set(ids)) == len(ids)
    assert [a["_id"] for a in again["authors"]] + [again["discussionId"]] == ids


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/daily_papers?limit=101", "limit must be at most 100"),
        ("/api/daily_papers?week=2026-W53", "W01 to W52"),
        ("/api/daily_papers?date=2023-02-30", "does not exist"),
        ("/api/daily_papers?month=2026-13", "months run from 01 to 12"),
        ("/api/daily_papers?sort=upvotes", "sort must be"),
        ("/api/daily_papers?p=-1", "p must be at least 0"),
        ("/api/papers?limit=0", "limit must be at least 1"),
        ("/api/papers?cursor=bm9wZQ", "cursor 'bm9wZQ' is not a cursor this site gave out"),
        ("/api/papers/search?limit=121", "limit must be at most 120"),
        ("/api/papers/search?q=" + "a" * 251, "q is too long (251 characters; at most 250)"),
        ("/api/papers/2602.23456?field=authors", "field must be"),
    ],
)
def test_what_the_spec_rejects_is_a_400_with_a_message(
    client: Client, site: dict[str, Any], url: str, message: str
) -> None:
    body = answer(client, url, 400)
    assert set(body) == {"error"} and message in body["error"], body


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/papers/2401.99999", 404),
        ("get", "/api/papers/a%0A", 404),
        ("get", "/api/nothing/here", 404),
        ("get", "/api/daily_papers/", 404),
        ("get", "/api/", 404),
        ("post", "/api/daily_papers", 405),
        ("delete", "/api/papers/2401.01234", 405),
    ],
)
def test_every_api_error_is_json(
    client: Client, site: dict[str, Any], method: str, url: str, status: int
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("url", ["/api/", "/api/nothing/here"])
def test_a_path_with_no_endpoint_points_to_the_docs(
    client: Client, site: dict[str, Any], url: str
) -> None:
    """A newcomer trying /api/ learns where the endpoints are listed."""
    response = client.get(url)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error.startswith("no API endpoint at "), error
    assert "/api/docs" in error, error
