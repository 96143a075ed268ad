"""The API's `mode`: keywords only, meaning only, or both (the default); bench/ir.py
evaluates each through it."""

from __future__ import annotations

from django.test import Client


def _ids(client: Client, **params: str) -> tuple[list[str], str]:
    response = client.get("/api/papers/search", {"q": "energy efficient spiking", **params})
    assert response.status_code == 200
    return [item["paper"]["id"] for item in response.json()], response["X-Search-Mode"]


def test_each_mode_ranks_with_its_own_rankers(embedded: None, client: Client) -> None:
    hybrid, mode = _ids(client)
    assert mode == "hybrid" and hybrid
    assert _ids(client, mode="hybrid") == (hybrid, "hybrid")
    keyword, mode = _ids(client, mode="keyword", limit="100")
    assert mode == "keyword" and keyword
    semantic, mode = _ids(client, mode="semantic", limit="100")
    # Meaning only: the dense top 100, however faint (no cosine floor), so every paper.
    assert mode == "semantic" and len(semantic) == 100
    assert set(hybrid) <= set(keyword) | set(semantic)


def test_an_unknown_mode_is_a_clear_400(demo: None, client: Client) -> None:
    response = client.get("/api/papers/search", {"q": "spiking", "mode": "<b>both</b>"})
    assert response.status_code == 400
    assert "mode must be 'hybrid', 'keyword' or 'semantic'" in response.json()["error"]


def test_semantic_mode_without_vectors_says_why(demo: None, client: Client) -> None:
    response = client.get("/api/papers/search", {"q": "spiking", "mode": "semantic"})
    assert response.status_code == 200 and response.json() == []
    assert "embedding" in response["X-Search-Notes"]
