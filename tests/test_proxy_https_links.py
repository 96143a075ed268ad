"""Behind a reverse proxy that ends TLS: with PAPERWIRE_TRUST_FORWARDED_PROTO=1 a request
the proxy marks `X-Forwarded-Proto: https` gets https:// absolute links; without it, a
client's claim is not believed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import copy_database, run_cli

pytestmark = pytest.mark.slow

# Run by `paperwire shell` in a process of its own: the variable is read as settings load.
SCRIPT = """
import json, re
from django.test import Client
from paperwire.papers.models import Paper
c = Client(HTTP_HOST="papers.example.org")
paper = Paper.objects.order_by("pk").first().get_absolute_url()
seen = {}
for proto in ("https", "http", None):
    extra = {"HTTP_X_FORWARDED_PROTO": proto} if proto else {}
    feed = c.get("/feeds/daily.rss", **extra)
    page = c.get(paper, **extra).content.decode()
    api = c.get("/api/daily_papers", {"limit": 1}, **extra)
    seen[str(proto)] = {
        "feed": re.findall(r"<link>([^<]*)</link>", feed.content.decode())[:2],
        "og:url": re.search(r'<meta property="og:url" content="([^"]*)"', page)[1],
        "api": api["Link"],
    }
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def demo_dir(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = copy_database(migrated_template, tmp_path_factory.mktemp("proxy") / "data")
    assert run_cli("load-demo", data_dir=data).returncode == 0
    return data


def links(data: Path, **env: str) -> dict[str, dict[str, object]]:
    done = run_cli(
        "shell", "-c", SCRIPT, data_dir=data, PAPERWIRE_ALLOWED_HOSTS="papers.example.org", **env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def all_links(seen: dict[str, object]) -> list[str]:
    feed, og_url, api = seen["feed"], seen["og:url"], seen["api"]
    assert isinstance(feed, list) and len(feed) == 2
    return [*feed, str(og_url), str(api).split(">")[0].lstrip("<")]


def test_trusted_forwarded_proto_makes_absolute_links_https(demo_dir: Path) -> None:
    seen = links(demo_dir, PAPERWIRE_TRUST_FORWARDED_PROTO="1")

    assert all(u.startswith("https://papers.example.org/") for u in all_links(seen["https"]))
    # Plain HTTP through the same proxy, or no header at all, stays http://.
    for proto in ("http", "None"):
        assert all(u.startswith("http://papers.example.org/") for u in all_links(seen[proto]))


def test_without_the_setting_the_header_is_not_believed(demo_dir: Path) -> None:
    seen = links(demo_dir)

    for proto in ("https", "http", "None"):
        assert all(u.startswith("http://papers.example.org/") for u in all_links(seen[proto]))
