"""Rate limits and the confirmation-mail cap hold under parallel requests to the real
server (granian, two worker processes with threads, one SQLite file): the counters are
one atomic statement in the database, not a read followed by a write."""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import PASSWORD, Mailbox, Site
from .live import csrf, shell, signed_in_client

pytestmark = pytest.mark.slow

FORGET_COUNTERS = (
    "from paperwire.community.models import RateCounter; RateCounter.objects.all().delete()"
)
OUTBOX_IDLE = (
    "from paperwire.mail.models import Mail; "
    "print(Mail.objects.filter(status__in=['queued', 'sending']).count())"
)


@pytest.fixture(autouse=True)
def _counters_forgotten_afterwards(community_site: Site) -> Iterator[None]:
    """The server is the session's: the limits these tests use up (logins from
    127.0.0.1, above all) must not refuse the next test that logs in on it."""
    yield
    shell(community_site, FORGET_COUNTERS)


def _parallel(n: int, call) -> list[int]:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def _wait_for_outbox(site: Site) -> None:
    deadline = time.monotonic() + 60
    while int(shell(site, OUTBOX_IDLE).splitlines()[-1]) and time.monotonic() < deadline:
        time.sleep(0.3)


def _mails_to(smtp_server: Mailbox, address: str) -> list[object]:
    with smtp_server.lock:
        return [m for m in smtp_server.messages if address in (m.get("To") or "")]


def test_a_hundred_parallel_subscriptions_of_one_address(
    community_site: Site, smtp_server: Mailbox
) -> None:
    shell(community_site, FORGET_COUNTERS)
    client = httpx.Client(base_url=community_site.url, timeout=60)
    token = csrf(client, "/subscribe")
    address = "flood@example.org"

    def subscribe() -> int:
        data = {"email": address, "frequency": "daily", "csrfmiddlewaretoken": token}
        return client.post("/subscribe", data=data).status_code

    statuses = Counter(_parallel(100, subscribe))
    # The address limit lets exactly 10 requests an hour through, not one more.
    assert statuses == {200: 10, 429: 90}, statuses
    _wait_for_outbox(community_site)
    # The SMTP server lists a mail before it accepts it, so before the outbox calls it
    # sent: once the outbox is idle every mail sent is listed (waiting for the third
    # only covers a slow outbox; a fourth would already be there).
    deadline = time.monotonic() + 10
    while len(mails := _mails_to(smtp_server, address)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mails) == 3, f"{len(mails)} confirmation mails to one address (cap: 3 a day)"


def test_fifty_parallel_comments_stop_at_the_limit(
    community_site: Site, smtp_server: Mailbox
) -> None:
    client = signed_in_client(community_site, smtp_server, "chatty")
    shell(community_site, FORGET_COUNTERS)
    # Not the front page's first paper, whose thread the browser flow counts.
    pid = client.get("/api/daily_papers?limit=5").json()[-1]["paper"]["id"]
    token = csrf(client, f"/papers/{pid}")
    numbers = itertools.count()

    def comment() -> int:
        # Other words each time: the same words again would be the comment already made.
        data = {"body": f"Words, take {next(numbers)}", "csrfmiddlewaretoken": token}
        return client.post(f"/papers/{pid}/comments", data=data).status_code

    statuses = Counter(_parallel(50, comment))
    assert statuses == {302: 30, 429: 20}, statuses
    stored = shell(
        community_site,
        "from paperwire.community.models import Comment; "
        "print(Comment.objects.filter(author__username='chatty').count())",
    ).splitlines()[-1]
    assert json.loads(stored) == 30


def test_sixty_parallel_logins_are_ten_attempts(community_site: Site, smtp_server: Mailbox) -> None:
    signed_in_client(community_site, smtp_server, "target").close()
    shell(community_site, FORGET_COUNTERS)
    client = httpx.Client(base_url=community_site.url, timeout=60)
    token = csrf(client, "/login")

    def guess() -> int:
        data = {"username": "target", "password": "wrong guess", "csrfmiddlewaretoken": token}
        return client.post("/login", data=data).status_code

    statuses = Counter(_parallel(60, guess))
    counters = shell(
        community_site,
        "from paperwire.community.models import RateCounter; "
        "print(list(RateCounter.objects.values_list('count', flat=True)))",
    )
    assert statuses == {200: 10, 429: 50}, (statuses, counters)
    data = {"username": "target", "password": PASSWORD, "csrfmiddlewaretoken": token}
    assert client.post("/login", data=data).status_code == 429
