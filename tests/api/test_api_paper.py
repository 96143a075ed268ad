"""GET /api/papers/{id}, and the OpenAPI schema and docs."""

from __future__ import annotations

import pytest
from django.test import Client

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def test_paper_by_arxiv_id(client: Client, small_feed) -> None:
    response = client.get("/api/papers/2401.01234")

    assert response.status_code == 200
    paper = response.json()
    assert paper["id"] == "2401.01234"
    assert paper["title"] == "Structured State Spaces, Revisited"
    assert paper["summary"] == "S4 with named authors and an arXiv id."
    assert [a["name"] for a in paper["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert paper["publishedAt"] == "2024-01-02T00:00:00.000Z"
    assert paper["submittedOnDailyAt"] == "2026-01-05T00:00:00.000Z"
    assert paper["upvotes"] == 3


def test_paper_by_short_id(client: Client, small_feed) -> None:
    stored = Paper.objects.get(title="Hidden-State Clustering for Verification")

    paper = client.get(f"/api/papers/{stored.public_id}").json()

    assert paper["id"] == stored.public_id
    assert paper["authors"] == []
    assert paper["organization"]["name"] == "tencent"
    assert paper["upvotes"] == 7


def test_paper_with_an_old_style_arxiv_id(client: Client, import_rows) -> None:
    import_rows([{"id": "hep-th/9901001", "title": "An Old Paper"}])

    response = client.get("/api/papers/hep-th/9901001")

    assert response.status_code == 200
    assert response.json()["title"] == "An Old Paper"
    assert client.get("/papers/hep-th/9901001").status_code == 200


@pytest.mark.parametrize("paper_id", ["2401.99999", "nope", "pwaaaaaaaaaa", "a/b/c"])
def test_unknown_id_is_a_404(client: Client, small_feed, paper_id: str) -> None:
    response = client.get(f"/api/papers/{paper_id}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "no paper with id" in response.json()["error"]


def test_openapi_schema_lists_both_endpoints(client: Client) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/daily_papers" in schema["paths"]
    assert any(path.startswith("/api/papers/") for path in schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/daily_papers"]["get"]["parameters"]}
    assert params >= {"date", "week", "month", "p", "limit", "sort", "submitter"}


def test_api_docs_page_loads(client: Client) -> None:
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.content.decode()
