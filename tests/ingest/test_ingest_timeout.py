"""`--timeout` bounds a whole request, against a real server that trickles its answer.

The server below (threads on 127.0.0.1) answers 200 and then sends one byte a second
for a minute, or sends even its status line and headers that way. Each byte comes well
within any read timeout, so only a deadline on the whole request stops the client. The
tests ask for a 2-second timeout and allow a generous 20 seconds: only a client that
waits for the trickle to end (a minute) can miss that bound.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperwire.ingest.errors import FetchError
from paperwire.ingest.http import PoliteClient
from support import run_cli

TRICKLE_SECONDS = 60
GENEROUS = 20.0  # seconds; the trickle lasts three times as long
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n"
REPORTED = re.compile(r"timed out after (\d+\.\d) s \(at most 2 s a request\)")


class TrickleServer:
    """Answers every request slowly: `mode` "body" sends the headers at once and then a
    byte a second; "headers" sends the status line and headers a byte a second."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                if self.mode == "body":
                    conn.sendall(HEAD + b"<")
                    trickle = b"x" * TRICKLE_SECONDS
                else:
                    trickle = HEAD[:TRICKLE_SECONDS]
                for byte in trickle:
                    if self.stop.wait(1.0):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up and closed the connection

    def __enter__(self) -> TrickleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture(params=["body", "headers"])
def trickle(request: pytest.FixtureRequest) -> Iterator[TrickleServer]:
    with TrickleServer(request.param) as server:
        yield server


def test_the_client_gives_up_when_the_request_has_taken_its_timeout(
    trickle: TrickleServer,
) -> None:
    started = time.monotonic()
    with (
        PoliteClient(delay=0, retries=0, timeout=2) as client,
        pytest.raises(FetchError) as failure,
    ):
        client.get(trickle.url + "/oai")
    took = time.monotonic() - started
    assert took < GENEROUS
    found = REPORTED.search(str(failure.value))
    assert found, str(failure.value)
    # What it says is what happened: at least the timeout, and no more than it took.
    assert 2.0 <= float(found.group(1)) <= round(took, 1) + 0.1


def test_retries_each_get_their_own_timeout(trickle: TrickleServer) -> None:
    started = time.monotonic()
    slept: list[float] = []
    with (
        PoliteClient(delay=0, retries=1, backoff=0.1, timeout=2, sleep=slept.append) as client,
        pytest.raises(FetchError, match=r"gave up after 2 attempts"),
    ):
        client.get(trickle.url + "/oai")
    assert time.monotonic() - started < 2 * GENEROUS
    assert slept == [0.1]


@pytest.mark.slow
def test_ingest_command_stops_and_says_so(
    new_data_dir: Callable[[], Path], trickle: TrickleServer
) -> None:
    started = time.monotonic()
    done = run_cli(
        "ingest",
        "arxiv",
        "--source=oai",
        "--categories=cs.CL",
        "--since=2024-01-01",
        "--until=2024-01-02",
        f"--base-url={trickle.url}/oai",
        "--timeout=2",
        "--retries=0",
        "--delay=0",
        data_dir=new_data_dir(),
        timeout=TRICKLE_SECONDS + 30,
    )
    took = time.monotonic() - started
    assert done.returncode != 0
    assert took < GENEROUS + 10  # the command's own start-up on a busy machine
    found = REPORTED.search(done.stderr)
    assert found, done.stderr
    assert 2.0 <= float(found.group(1)) <= took
    assert "Traceback" not in done.stderr
