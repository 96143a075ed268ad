"""ETag, Last-Modified, conditional GETs, compression and page-cache renewal."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URLS = [
    "/",
    "/?date=2026-01-05",
    "/week/2026-W02",
    "/month/2026-01",
    "/papers/2401.01234",
    "/api/daily_papers?date=2026-01-05",
    "/api/papers/2401.01234",
]


@pytest.mark.parametrize("url", URLS)
def test_validators_and_conditional_get(client: Client, small_feed, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag and last_modified.endswith(" GMT")

    by_etag = client.get(url, headers={"If-None-Match": etag})
    by_date = client.get(url, headers={"If-Modified-Since": last_modified})

    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_date.status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("url", ["/", "/api/daily_papers?date=2026-01-05"])
def test_gzip_when_asked(client: Client, small_feed, url: str) -> None:
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)


def test_a_new_import_renews_cached_pages(client: Client, small_feed, import_rows) -> None:
    before = client.get("/?date=2026-02-03")
    api_before = client.get("/api/daily_papers?date=2026-02-03").json()
    assert len(api_before) == 1

    import_rows([{"title": "Arrived Later", "feed_date": "2026-02-03", "upvotes": 99}])

    after = client.get("/?date=2026-02-03", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert "Arrived Later" in after.content.decode()
    assert after["ETag"] != before["ETag"]
    api_after = client.get("/api/daily_papers?date=2026-02-03").json()
    assert [item["title"] for item in api_after] == [
        "Arrived Later",
        "GPU Communication Abstractions",
    ]


def test_static_files_are_served(client: Client) -> None:
    response = client.get("/static/paperwire/style.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)


def test_conditional_get_of_a_compressed_answer(client: Client, small_feed) -> None:
    gzip_headers = {"Accept-Encoding": "gzip"}
    first = client.get("/api/daily_papers", headers=gzip_headers)
    assert first["Content-Encoding"] == "gzip"
    etag = first["ETag"]

    again = client.get("/api/daily_papers", headers={**gzip_headers, "If-None-Match": etag})

    assert again.status_code == 304


def test_head_has_the_headers_but_no_body(client: Client, small_feed) -> None:
    response = client.head("/?date=2026-01-05")

    assert response.status_code == 200
    assert response.content == b""
    assert response["Last-Modified"]


@pytest.mark.parametrize(
    ("url", "absolute"),
    [
        ("/papers/2401.01234", '<link rel="canonical" href="{origin}/papers/2401.01234">'),
        ("/papers/2401.01234", '<meta property="og:url" content="{origin}/papers/2401.01234">'),
        ("/papers/2401.01234.md", "[Paper page]({origin}/papers/2401.01234)"),
        ("/feeds/daily.rss", "<link>{origin}/papers/"),
        ("/feeds/daily.atom", '<link href="{origin}/papers/'),
    ],
)
def test_cached_pages_name_the_host_they_were_asked_on(small_feed, url: str, absolute: str) -> None:
    """Pages whose absolute links come from the request's host are cached per host: the
    first visitor's host must not end up in everyone's copy."""
    for host in ("127.0.0.1:8721", "localhost:8721", "127.0.0.1:8721"):
        html = Client(HTTP_HOST=host).get(url).content.decode()
        assert absolute.format(origin=f"http://{host}") in html, host


def test_the_apis_next_link_names_the_host_it_was_asked_on(small_feed) -> None:
    url = "/api/daily_papers?limit=2&sort=publishedAt"
    for host in ("127.0.0.1:8721", "localhost:8721"):
        link = Client(HTTP_HOST=host).get(url)["Link"]
        assert link.startswith(f"<http://{host}/api/daily_papers?"), link
    secure = Client(HTTP_HOST="localhost:8721").get(url, secure=True)["Link"]
    assert secure.startswith("<https://localhost:8721/"), secure
