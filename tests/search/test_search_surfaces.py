"""The /search page, the header box, the JSON API (checked with huggingface_hub's own
PaperInfo), related papers on the paper page, and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from paperwire.papers.models import Paper
from support import copy_database


def test_header_has_a_search_box(demo: None, client: Client) -> None:
    html = client.get("/").content.decode()
    assert re.search(r'<form[^>]+role="search"[^>]+action="/search"', html)


def test_search_page_highlights_counts_and_chips(embedded: None, client: Client) -> None:
    response = client.get("/search", {"q": "state space year:2024"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>" in html and re.search(r"<mark>[Ss]tate", html)
    assert re.search(r"\d+ results?", html)
    chip = re.search(r'class="chip"><span>year: 2024</span> <a href="([^"]+)"', html)
    assert chip, html
    removed = parse_qs(urlsplit(chip.group(1).replace("&amp;", "&")).query)["q"][0]
    assert removed == "state space"


def test_search_page_paginates(demo: None, client: Client) -> None:
    first = client.get("/search", {"q": "learning"}).content.decode()
    assert 'rel="next"' in first
    second = client.get("/search", {"q": "learning", "page": "2"}).content.decode()
    assert 'rel="prev"' in second
    assert "<title>learning · Search · paperwire</title>" in first
    assert "<title>learning · Search · page 2 · paperwire</title>" in second
    ids_1 = set(re.findall(r'href="/papers/([^"]+)"', first))
    ids_2 = set(re.findall(r'href="/papers/([^"]+)"', second))
    assert ids_1 and ids_2 and not ids_1 & ids_2


def test_a_search_page_past_the_end_shows_the_last_page(demo: None, client: Client) -> None:
    last = client.get("/search", {"q": "learning", "page": "2"}).content.decode()
    while 'rel="next"' in last:  # find the real last page
        nxt = re.search(r'href="\?([^"]+)" rel="next"', last)
        assert nxt is not None
        last = client.get("/search?" + nxt.group(1).replace("&amp;", "&")).content.decode()
    response = client.get("/search", {"q": "learning", "page": "99"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no page 99 of these results" in html
    assert set(re.findall(r'href="/papers/([^"/]+)"', html)) == set(
        re.findall(r'href="/papers/([^"/]+)"', last)
    )
    assert "1961" not in html


def test_cli_json_search_tells_stderr_what_it_ignored(demo: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command(
        "search", "attention year:abcd", "--json", "--keyword-only", stdout=out, stderr=err
    )
    assert isinstance(json.loads(out.getvalue()), list)
    assert "year:abcd is not a year" in err.getvalue()


def test_search_page_escapes_the_query(demo: None, client: Client) -> None:
    html = client.get("/search", {"q": "<script>alert(1)</script> learning"}).content.decode()
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {},
        {"q": '"unbalanced'},
        {"q": "NEAR(a b) AND * ^ : OR"},
        {"q": "x" * 10_000},
        {"q": "learning", "page": "abc"},
        {"q": "learning", "page": "999999"},
        {"q": "learning", "sort": "bogus"},
        {"q": "year:abcd after:never"},
    ],
)
def test_search_page_never_fails(demo: None, client: Client, params: dict[str, str]) -> None:
    assert client.get("/search", params).status_code == 200


def test_api_search_in_hugging_face_shape(embedded: None, client: Client) -> None:
    from huggingface_hub.hf_api import PaperInfo

    response = client.get("/api/papers/search", {"q": "spiking neural network language model"})
    assert response.status_code == 200
    items = response.json()
    assert isinstance(items, list) and 0 < len(items) <= 20
    info = PaperInfo(**items[0])
    assert info.title is not None and info.title.startswith("SpikeGPT")
    assert info.id and info.summary


def test_api_search_limit_and_errors(demo: None, client: Client) -> None:
    assert len(client.get("/api/papers/search", {"q": "learning", "limit": "3"}).json()) == 3
    for bad in ("0", "abc", "100000"):
        response = client.get("/api/papers/search", {"q": "learning", "limit": bad})
        assert response.status_code == 400
        assert "limit" in response.json()["error"]
    assert client.get("/api/papers/search", {"q": "learning", "p": "-1"}).status_code == 400
    page_1 = client.get("/api/papers/search", {"q": "learning", "limit": "3", "p": "1"}).json()
    page_0 = client.get("/api/papers/search", {"q": "learning", "limit": "3"}).json()
    assert {i["paper"]["id"] for i in page_0}.isdisjoint(i["paper"]["id"] for i in page_1)
    assert client.get("/api/openapi.json").json()["paths"]["/api/papers/search"]
    for q in ('"', "NEAR(", "x" * 250):
        response = client.get("/api/papers/search", {"q": q})
        assert response.status_code == 200 and isinstance(response.json(), list)
    # Past the Hub's 250 characters, a 400 that names the parameter.
    response = client.get("/api/papers/search", {"q": "x" * 10_000})
    assert response.status_code == 400 and "q" in response.json()["error"]


def test_paper_route_still_serves_papers(demo: None, client: Client) -> None:
    paper = Paper.objects.order_by("pk").first()
    assert paper is not None
    response = client.get(f"/api/papers/{paper.public_id}")
    assert response.status_code == 200 and response.json()["id"] == paper.public_id


def test_related_api_and_page(embedded: None, client: Client) -> None:
    paper = Paper.objects.get(title__startswith="Efficiently Modeling Long Sequences")
    items = client.get(f"/api/papers/{paper.public_id}/related", {"limit": "4"}).json()
    assert len(items) == 4
    assert paper.public_id not in {item["paper"]["id"] for item in items}
    html = client.get(f"/papers/{paper.public_id}").content.decode()
    assert "Related papers" in html
    assert client.get("/api/papers/nope-nope/related").status_code == 404
    assert client.get(f"/api/papers/{paper.public_id}/related?limit=x").status_code == 400


@pytest.mark.slow
def test_cli_search_and_embed(
    migrated_template: Path, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    run_cli = cli
    data = copy_database(migrated_template, tmp_path)  # as `paperwire migrate` leaves it
    assert run_cli("load-demo", data_dir=data, timeout=120).returncode == 0
    out = run_cli("search", "temporal reasoning", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "keyword search" in out.stdout and "embedding" in out.stderr
    embed = run_cli("embed", "--limit", "5", "--quiet", data_dir=data, timeout=120)
    assert embed.returncode == 0 and "Embedded 5" in embed.stdout, embed.stderr
    out = run_cli("search", "--json", "--limit", "2", "temporal reasoning", data_dir=data)
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert len(items) == 2 and all(item["paper"]["title"] for item in items)
    bad = run_cli("search", '"NEAR(* ^', data_dir=data)
    assert bad.returncode == 0


@pytest.mark.slow
def test_huggingface_hub_client_against_a_live_server(live_paperwire: Any) -> None:
    from huggingface_hub import HfApi

    hub = HfApi(endpoint=live_paperwire.url)
    papers = list(hub.list_papers(query="temporal reasoning", limit=5))
    assert 0 < len(papers) <= 5
    assert all(p.id and p.title and p.summary for p in papers)
    assert any("Temporal" in (p.title or "") for p in papers)
    assert list(hub.list_papers(query='"NEAR( * ^ : AND', limit=3)) is not None


@pytest.mark.slow
def test_hf_papers_search_cli(live_paperwire: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=live_paperwire.url,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        NO_COLOR="1",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hf"), "papers", "search", "state space", "--limit",
         "3", "--format", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert 0 < len(rows) <= 3 and all(row["title"] for row in rows)
