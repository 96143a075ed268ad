"""A polite HTTP client for arXiv: a minimum gap between requests, retries with
backoff on timeouts, 5xx and 429 (honouring Retry-After), timeouts and a size cap.

`timeout` bounds each request as a whole, from connecting to the body's last byte (see
deadline.py): a server that trickles its answer is cut off, not waited for.

The clock and sleep are injectable so tests check the pacing without sleeping; the
request deadline runs on the real clock, since it is about real sockets.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from paperwire import __version__
from paperwire.ingest.deadline import RequestDeadline, deadline_transport
from paperwire.ingest.errors import FetchError

log = logging.getLogger(__name__)

# arXiv's API terms ask for at least 3 s between requests; its own hosts always get that.
ARXIV_MIN_DELAY = 3.0
MAX_BODY_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"paperwire/{__version__} (+https://github.com/paperwire; arXiv ingest)"


@dataclass
class Response:
    status: int
    body: bytes
    url: str


@dataclass
class PoliteClient:
    delay: float = ARXIV_MIN_DELAY
    retries: int = 4
    backoff: float = 5.0
    max_retry_after: float = 900.0
    timeout: float = 60.0
    max_bytes: int = MAX_BODY_BYTES
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    requests_made: int = 0
    _last_start: float | None = field(default=None, repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)
    _deadline: RequestDeadline = field(default_factory=RequestDeadline, repr=False)

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 15.0)),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=True,
                transport=self.transport or deadline_transport(self._deadline),
            )
        return self._client

    def min_delay_for(self, url: str) -> float:
        host = (urlsplit(url).hostname or "").lower()
        if host == "arxiv.org" or host.endswith(".arxiv.org"):
            return max(self.delay, ARXIV_MIN_DELAY)
        return max(self.delay, 0.0)

    def _wait_turn(self, url: str) -> None:
        gap = self.min_delay_for(url)
        if self._last_start is not None:
            wait = self._last_start + gap - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_start = self.clock()

    def get(
        self, url: str, params: dict[str, str] | None = None, *, ok: frozenset[int] = frozenset()
    ) -> Response:
        """GET with pacing and retries. Statuses other than 200 and `ok` raise FetchError."""
        attempt = 0
        while True:
            self._wait_turn(url)
            self.requests_made += 1
            problem: str
            retry_after: float | None = None
            started = time.monotonic()
            try:
                status, body, final_url, headers = self._fetch(url, params)
            except httpx.TimeoutException:
                took = time.monotonic() - started
                problem = f"timed out after {took:.1f} s (at most {self.timeout:g} s a request)"
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # Includes a connection closed before the promised Content-Length arrived.
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if status == 200 or status in ok:
                    return Response(status, body, final_url)
                if status not in RETRY_STATUSES:
                    raise FetchError(f"{_short(url)} answered HTTP {status}")
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(headers.get("retry-after"))
            attempt += 1
            if attempt > self.retries:
                raise FetchError(f"{_short(url)}: {problem}; gave up after {attempt} attempts")
            if retry_after is not None and retry_after > self.max_retry_after:
                raise FetchError(
                    f"{_short(url)}: {problem} with Retry-After {retry_after:.0f} s "
                    f"(longer than {self.max_retry_after:.0f} s); try again later"
                )
            wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            log.warning("%s: %s; retry %d in %.1f s", _short(url), problem, attempt, wait)
            self.sleep(wait)

    def _fetch(
        self, url: str, params: dict[str, str] | None
    ) -> tuple[int, bytes, str, httpx.Headers]:
        self._deadline.start(self.timeout)
        try:
            return self._fetch_before_deadline(url, params)
        finally:
            self._deadline.clear()

    def _fetch_before_deadline(
        self, url: str, params: dict[str, str] | None
    ) -> tuple[int, bytes, str, httpx.Headers]:
        with self.client.stream("GET", url, params=params) as resp:
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(
                    f"{_short(url)}: response of {int(declared):,} bytes is over the "
                    f"{self.max_bytes:,}-byte cap"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                if self._deadline.passed():  # also with a transport of the caller's own
                    raise httpx.ReadTimeout("the request's deadline has passed")
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(
                        f"{_short(url)}: response is over the {self.max_bytes:,}-byte cap"
                    )
                chunks.append(chunk)
            return resp.status_code, b"".join(chunks), str(resp.url), resp.headers


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."
