"""`paperwire serve` over real HTTP: the production server, its headers and static files."""

from __future__ import annotations

import gzip
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow


def test_it_prints_its_url_and_serves_the_demo(live_paperwire, demo_home) -> None:
    _, label, count = demo_home
    assert f"paperwire serving {live_paperwire.url}/" in live_paperwire.log.read_text()

    status, body = live_paperwire.get("/")

    assert status == 200
    html = body.decode()
    assert f'<h1 id="feed-heading">{label}</h1>' in html
    assert f"{count} papers" in html


def test_conditional_get_over_http(live_paperwire) -> None:
    for path in ("/?date=2026-01-05", "/api/daily_papers?date=2026-01-05"):
        with urllib.request.urlopen(live_paperwire.url + path, timeout=10) as response:
            etag = response.headers["ETag"]
            last_modified = response.headers["Last-Modified"]
        assert etag and last_modified

        assert live_paperwire.get(path, {"If-None-Match": etag})[0] == 304
        assert live_paperwire.get(path, {"If-Modified-Since": last_modified})[0] == 304


def test_gzip_over_http(live_paperwire) -> None:
    request = urllib.request.Request(
        live_paperwire.url + "/api/daily_papers?date=2026-02-03",
        headers={"Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        items = json.loads(gzip.decompress(response.read()))
    assert len(items) == 50


def test_static_files_are_served_with_long_caching(live_paperwire) -> None:
    html = live_paperwire.get("/")[1].decode()
    match = re.search(r'<link rel="stylesheet" href="(/static/[^"]+\.css)"', html)
    assert match, "no stylesheet link"
    request = urllib.request.Request(
        live_paperwire.url + match.group(1), headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/css")
        assert "max-age=" in response.headers["Cache-Control"]
        assert response.headers.get("Content-Encoding") == "gzip"


def test_errors_over_http(live_paperwire) -> None:
    status, body = live_paperwire.get("/?date=2023-02-30")
    assert status == 400 and b"does not exist" in body

    status, body = live_paperwire.get("/api/daily_papers?limit=1000000000")
    assert status == 400 and "limit" in json.loads(body)["error"]

    status, body = live_paperwire.get("/papers/2401.99999")
    assert status == 404 and b"No paper has this id." in body


def test_concurrent_requests(live_paperwire) -> None:
    paths = ["/", "/?date=2026-01-05", "/api/daily_papers", "/week/2026-W02"] * 8

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda path: live_paperwire.get(path)[0], paths))

    assert statuses == [200] * len(paths)
