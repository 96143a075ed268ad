"""Submitting papers by arXiv id or URL: known papers join today's feed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from paperwire.community.actions import SUBMISSIONS_PER_DAY, parse_arxiv_ref
from paperwire.community.models import Upvote
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_paper(db: None) -> Paper:
    """A paper the database knows (e.g. ingested from arXiv) that is not in the feed."""
    return Paper.objects.create(
        public_id="2409.00001", arxiv_id="2409.00001", title="Known, Not Featured",
        title_key="known not featured", abstract="Waiting for a submitter.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2409.00001", "2409.00001"),
        (" 2409.00001v3 ", "2409.00001"),
        ("arXiv:2409.00001", "2409.00001"),
        ("https://arxiv.org/abs/2409.00001v2", "2409.00001"),
        ("http://export.arxiv.org/abs/2409.00001", "2409.00001"),
        ("https://arxiv.org/pdf/2409.00001.pdf", "2409.00001"),
        ("arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_ids_and_urls_accepted(raw: str, expected: str) -> None:
    assert parse_arxiv_ref(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("hello", "is not an arXiv id"),
        ("2409.1", "is not an arXiv id"),
        ("https://evil.example/abs/2409.00001", "Only arXiv ids or arxiv.org links"),
        ("ftp://arxiv.org/abs/2409.00001", "Only arXiv ids or arxiv.org links"),
        ("https://arxiv.org/list/cs.CL/new", "is not a paper&#x27;s abs or pdf page"),
        ("https://arxiv.org.evil.example/abs/2409.00001", "Only arXiv ids or arxiv.org links"),
        ("9" * 300, "too long"),
        ("", "Enter an arXiv id"),
    ],
)
def test_malformed_ids_are_form_errors(member_client: Client, raw: str, message: str) -> None:
    response = member_client.post("/submit", {"arxiv": raw})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FeedEntry.objects.exists()


def test_an_unknown_paper_is_a_clear_error(member_client: Client, stored_paper: Paper) -> None:
    response = member_client.post("/submit", {"arxiv": "2409.99999"})
    assert response.status_code == 400
    assert "arXiv:2409.99999 is not known to this site yet" in response.content.decode()


def test_a_known_paper_joins_todays_feed(member_client: Client, member, stored_paper) -> None:
    response = member_client.post("/submit", {"arxiv": "https://arxiv.org/abs/2409.00001v1"})
    assert response.status_code == 302 and response["Location"] == "/papers/2409.00001"
    entry = FeedEntry.objects.get(paper=stored_paper)
    assert entry.submitted_by == member and entry.feed_date == timezone.now().date()
    assert entry.upvotes == 1
    page = member_client.get(response["Location"]).content.decode()
    assert "the paper is in today&#x27;s feed" in page and "ada" in page
    api = Client(HTTP_HOST="127.0.0.1").get("/api/daily_papers?submitter=ada").json()
    assert [item["paper"]["id"] for item in api] == ["2409.00001"]


def test_a_paper_in_the_feed_gets_an_upvote_instead(
    member_client: Client, member, feed_paper: Paper
) -> None:
    response = member_client.post("/submit", {"arxiv": "2401.01234"})
    assert response.status_code == 302
    assert FeedEntry.objects.filter(paper=feed_paper).count() == 1
    entry = FeedEntry.objects.get(paper=feed_paper)
    assert entry.upvotes == 4 and entry.submitted_by is None
    assert Upvote.objects.filter(user=member, paper=feed_paper).exists()
    assert "already in the feed" in member_client.get("/papers/2401.01234").content.decode()


def test_hidden_papers_cannot_be_submitted(member_client: Client, stored_paper: Paper) -> None:
    Paper.objects.filter(pk=stored_paper.pk).update(hidden=True)
    response = member_client.post("/submit", {"arxiv": "2409.00001"})
    assert response.status_code == 400 and b"not known to this site yet" in response.content


def test_daily_limit(member_client: Client, clean_cache: None) -> None:
    for i in range(SUBMISSIONS_PER_DAY + 1):
        Paper.objects.create(
            public_id=f"2409.1000{i}", arxiv_id=f"2409.1000{i}", title=f"P{i}", title_key=f"p{i}"
        )
    for i in range(SUBMISSIONS_PER_DAY):
        assert member_client.post("/submit", {"arxiv": f"2409.1000{i}"}).status_code == 302
    last = member_client.post("/submit", {"arxiv": f"2409.1000{SUBMISSIONS_PER_DAY}"})
    assert last.status_code == 400 and b"papers a day" in last.content


def test_submit_needs_login(db: None) -> None:
    response = Client(HTTP_HOST="127.0.0.1").post("/submit", {"arxiv": "2409.00001"})
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
