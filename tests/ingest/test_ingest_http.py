"""The polite client against a real local HTTP server: pacing, retries, limits."""

from __future__ import annotations

import itertools

import pytest
from arxiv_fake import FakeArxiv, FakeClock, Reply

from paperwire.ingest.errors import FetchError
from paperwire.ingest.http import PoliteClient


def test_requests_are_spaced_three_seconds_apart(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    starts: list[float] = []

    def handler(path: str, params: dict[str, str]) -> Reply:
        starts.append(clock.now)
        return Reply(body=b"<ok/>")

    arxiv.handler = handler
    for _ in range(4):
        assert client.get(arxiv.url + "/api/query").body == b"<ok/>"
    assert len(arxiv.requests) == 4
    assert [b - a for a, b in itertools.pairwise(starts)] == [3.0, 3.0, 3.0]
    # Time that passed anyway (e.g. parsing) counts towards the gap.
    clock.now += 10
    client.get(arxiv.url + "/api/query")
    assert clock.sleeps == [3.0, 3.0, 3.0]


def test_arxiv_hosts_always_get_three_seconds() -> None:
    polite = PoliteClient(delay=0.0)
    assert polite.min_delay_for("https://export.arxiv.org/api/query") == 3.0
    assert polite.min_delay_for("https://arxiv.org/x") == 3.0
    assert polite.min_delay_for("http://127.0.0.1:9/oai") == 0.0
    assert polite.min_delay_for("https://notarxiv.org/oai") == 0.0


def test_503_retry_after_is_honoured(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    replies = [Reply(503, b"busy", {"Retry-After": "7"}), Reply(body=b"<ok/>")]
    arxiv.handler = lambda path, params: replies.pop(0)
    assert client.get(arxiv.url + "/oai").body == b"<ok/>"
    assert clock.sleeps == [7.0]


def test_429_and_5xx_back_off_exponentially_then_give_up(
    arxiv: FakeArxiv, client: PoliteClient, clock: FakeClock
) -> None:
    arxiv.handler = lambda path, params: Reply(429 if len(arxiv.requests) == 1 else 502)
    with pytest.raises(FetchError, match=r"HTTP 502; gave up after 4 attempts"):
        client.get(arxiv.url + "/api/query")
    assert len(arxiv.requests) == 4
    assert clock.sleeps == [5.0, 10.0, 20.0]


def test_client_error_is_not_retried(arxiv: FakeArxiv, client: PoliteClient) -> None:
    arxiv.handler = lambda path, params: Reply(404, b"nope")
    with pytest.raises(FetchError, match="answered HTTP 404"):
        client.get(arxiv.url + "/missing")
    assert len(arxiv.requests) == 1


def test_hanging_server_times_out(arxiv: FakeArxiv, clock: FakeClock) -> None:
    arxiv.handler = lambda path, params: Reply(body=b"<late/>", hang=5)
    with (
        PoliteClient(timeout=0.3, retries=1, clock=clock.monotonic, sleep=clock.sleep) as polite,
        pytest.raises(
            FetchError,
            match=r"timed out after \d+\.\d s \(at most 0.3 s a request\); "
            r"gave up after 2 attempts",
        ),
    ):
        polite.get(arxiv.url + "/oai")


def test_truncated_body_is_an_error(arxiv: FakeArxiv, client: PoliteClient) -> None:
    arxiv.handler = lambda path, params: Reply(body=b"<OAI-PMH>", truncate=True)
    with pytest.raises(FetchError, match="RemoteProtocolError"):
        client.get(arxiv.url + "/oai")


def test_size_cap(arxiv: FakeArxiv, clock: FakeClock) -> None:
    arxiv.handler = lambda path, params: Reply(body=b"x" * 5000)
    with (
        PoliteClient(max_bytes=1000, clock=clock.monotonic, sleep=clock.sleep) as polite,
        pytest.raises(FetchError, match="over the 1,000-byte cap"),
    ):
        polite.get(arxiv.url + "/oai")
