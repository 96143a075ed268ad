"""Submitting papers by arXiv id or URL: known papers join today's feed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from paperwire.community.actions import SUBMISSIONS_PER_DAY, parse_arxiv_ref
from paperwire.community.models import Upvote
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "ingest" / "fixtures"


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


@pytest.fixture
def arxiv_api(settings: Any) -> Iterator[dict[str, bytes]]:
    """A local stand-in for the arXiv API: answers id_list lookups with `replies[id]`."""
    replies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query))
            body = replies.get(params.get("id_list", ""), (FIXTURES / "api_empty.xml").read_bytes())
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PAPERWIRE_ARXIV_API_URL = f"http://127.0.0.1:{server.server_address[1]}/api/query"
    try:
        yield replies
    finally:
        server.shutdown()
        server.server_close()


def test_an_id_arxiv_does_not_know_is_a_clear_error(
    member_client: Client, stored_paper: Paper, arxiv_api: dict[str, bytes]
) -> None:
    response = member_client.post("/submit", {"arxiv": "2409.99999"})
    assert response.status_code == 400
    assert "arXiv has no paper arXiv:2409.99999" in response.content.decode()
    assert not FeedEntry.objects.exists()


def test_an_unknown_paper_is_fetched_from_arxiv_and_joins_todays_feed(
    member_client: Client, member: Any, arxiv_api: dict[str, bytes]
) -> None:
    arxiv_api["2401.00002"] = (FIXTURES / "api_page1.xml").read_bytes()
    response = member_client.post("/submit", {"arxiv": "https://arxiv.org/abs/2401.00002v1"})
    assert response.status_code == 302 and response["Location"] == "/papers/2401.00002"
    paper = Paper.objects.get(arxiv_id="2401.00002")
    assert paper.title == "A Benchmark With Many Authors"
    assert len(paper.author_names()) > 1
    # Only the asked-for paper of the answer is stored, and it enters today's feed.
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00002"]
    entry = FeedEntry.objects.get(paper=paper)
    assert entry.submitted_by == member and entry.feed_date == timezone.now().date()


def test_arxiv_unreachable_is_a_clear_error(
    member_client: Client, settings: Any, stored_paper: Paper
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PAPERWIRE_ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"
    response = member_client.post("/submit", {"arxiv": "2409.99999"})
    # Nothing is wrong with what the member sent: the site cannot serve it just now.
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    page = response.content.decode()
    assert "arXiv could not be reached just now to look up arXiv:2409.99999" in page
    # The technical reason goes to the log; the member never sees hosts or errno.
    assert f"127.0.0.1:{port}" not in page and "Errno" not in page
    assert Paper.objects.count() == 1 and not FeedEntry.objects.exists()


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
    assert response.status_code == 400 and b"cannot be submitted here" in response.content


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
