"""50 concurrent upvote requests by one member against the real server (granian,
several worker processes and threads, SQLite file): exactly one vote, exact counts."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import Mailbox, Site
from .live import csrf, shell, signed_in_client

pytestmark = pytest.mark.slow

COUNTS = (
    "import json; from paperwire.community.models import Upvote; "
    "from paperwire.papers.models import FeedEntry; "
    "e = FeedEntry.objects.get(paper__public_id={pid!r}); "
    "print(json.dumps([e.upvotes, Upvote.objects.filter(paper=e.paper).count()]))"
)


def counts(site: Site, pid: str) -> tuple[int, int]:
    upvotes, rows = json.loads(shell(site, COUNTS.format(pid=pid)).splitlines()[-1])
    return upvotes, rows


def test_fifty_concurrent_upvotes_leave_one_vote(
    community_site: Site, smtp_server: Mailbox
) -> None:
    client = signed_in_client(community_site, smtp_server, "racer")
    item = client.get("/api/daily_papers?limit=1&sort=publishedAt").json()[0]
    pid = item["paper"]["id"]
    before, rows_before = counts(community_site, pid)
    token = csrf(client, f"/papers/{pid}")

    def vote(data: dict[str, str]) -> int:
        payload = {**data, "csrfmiddlewaretoken": token}
        return client.post(f"/papers/{pid}/upvote", data=payload).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(vote, [{"vote": "1"}] * 50))
    assert statuses == [302] * 50
    assert counts(community_site, pid) == (before + 1, rows_before + 1)
    assert client.get(f"/api/papers/{pid}").json()["upvotes"] == before + 1

    # 50 concurrent toggles: whatever the interleaving, the count matches the rows.
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(vote, [{}] * 50))
    assert statuses == [302] * 50
    upvotes, rows = counts(community_site, pid)
    assert rows - rows_before in (0, 1)
    assert upvotes == before + (rows - rows_before)

    # And 50 concurrent removals leave none.
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(vote, [{"vote": "0"}] * 50))
    assert counts(community_site, pid) == (before, rows_before)
