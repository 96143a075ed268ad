"""Reset, sign-up and log in take the same time for an address (or name) with an
account and one without, within noise: medians of interleaved runs are compared with
each other, never with a fixed time.

"Within noise" is measured in the same run: the medians of the two halves of each
kind's own runs (odd and even) differ by some amount by chance alone; known and unknown
may differ by at most three times that (plus 5% and half a millisecond), so a busy
machine widens the bound and an idle one narrows it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paperwire.community.models import RateCounter
from paperwire.mail.outbox import wait_for_deliveries

from .conftest import PASSWORD

# Real commits, as on the site: a mail stored in the request is written to disk. The
# site's own password hasher: its cost is what a known and an unknown name must share.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production_password_hasher]


@pytest.fixture(autouse=True)
def _once(backend: str) -> None:
    # The views run the same code on both databases; timing them once (on the embedded
    # default) keeps this costly module to one run.
    if backend != "sqlite":
        pytest.skip("timed on SQLite only")


def _timings(
    known: Callable[[int], Any], unknown: Callable[[int], Any], pairs: int
) -> dict[str, list[float]]:
    """Seconds each run took, run in alternating order so drift hits both alike."""
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(pairs):
        order = [("known", known), ("unknown", unknown)]
        for name, call in order if i % 2 == 0 else order[::-1]:
            RateCounter.objects.all().delete()  # measure the work, not the limits
            start = time.perf_counter()
            call(i)
            times[name].append(time.perf_counter() - start)
            # What the request left to the mail thread must not slow the next one down.
            wait_for_deliveries()
    return times


def _check_alike(times: dict[str, list[float]]) -> None:
    median = statistics.median
    known, unknown = median(times["known"]), median(times["unknown"])
    noise = max(abs(median(runs[0::2]) - median(runs[1::2])) for runs in times.values())
    bound = 3 * noise + 0.05 * max(known, unknown) + 0.0005
    assert abs(known - unknown) <= bound, (
        f"known {known * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms: they differ by more "
        f"than {bound * 1000:.2f} ms, three times what chance alone made here"
    )


def test_password_reset(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(email: str) -> None:
        assert client.post("/password-reset", {"email": email}).status_code == 302

    post("warm@example.org")
    times = _timings(
        lambda i: post("ada@example.org"), lambda i: post(f"nobody{i}@example.org"), pairs=150
    )
    _check_alike(times)


def test_sign_up(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(username: str, email: str) -> None:
        data = {"username": username, "email": email, "password": PASSWORD}
        assert client.post("/signup", data).status_code == 302

    times = _timings(
        lambda i: post(f"k{i}", "ada@example.org"),
        lambda i: post(f"u{i}", f"u{i}@example.org"),
        pairs=7,
    )
    _check_alike(times)


def test_log_in(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(username: str) -> None:
        response = client.post("/login", {"username": username, "password": "not it at all"})
        assert response.status_code == 200

    times = _timings(lambda i: post("ada"), lambda i: post(f"nobody{i}"), pairs=7)
    _check_alike(times)
