"""A deadline for a whole HTTP request: connect, send, headers and body together.

httpx's timeouts bound each network operation: a server that answers 200 and then
sends one byte a second never stays silent for as long as the read timeout, so a
"60 s" request can run for hours. Here every connect, read and write gets the time
left until the request's deadline as its timeout (and none once it has passed), which
bounds the request as a whole and still fails within the moment the time is up.

It works below httpx, as the network backend of its connection pool, so that the
same connections keep being reused between requests.
"""

from __future__ import annotations

import ssl
import time
import typing

import httpcore
import httpx

Timeout = type[httpcore.TimeoutException]


class RequestDeadline:
    """When the request under way must be over (on time.monotonic's clock), if any."""

    def __init__(self) -> None:
        self.at: float | None = None

    def start(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def clear(self) -> None:
        self.at = None

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def bound(self, timeout: float | None, error: Timeout) -> float | None:
        """`timeout`, shortened to the time left; `error` when none is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the request's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: RequestDeadline) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self.deadline.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.deadline.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self.stream.start_tls(ssl_context, server_hostname, bounded), self.deadline
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self.stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: RequestDeadline) -> None:
        self.backend = httpcore.SyncBackend()
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self.backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self.backend.connect_unix_socket(path, bounded, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def deadline_transport(deadline: RequestDeadline) -> httpx.HTTPTransport:
    """httpx's own transport, with its connection pool on the deadline's clock."""
    transport = httpx.HTTPTransport()
    pool = transport._pool
    # httpx has no parameter for the pool's network backend; its pool (httpcore's, pinned
    # in constraints.txt) takes one and keeps it in this attribute.
    assert isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend")
    pool._network_backend = _DeadlineBackend(deadline)
    return transport
