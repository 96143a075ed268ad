"""Reset, sign-up and log in take the same time for an address (or name) with an
account and one without, within noise: medians of interleaved runs are compared with
each other, never with a fixed time.

"Within noise" is measured in the same run: the medians of the two halves of each
kind's own runs (odd and even) differ by some amount by chance alone; known and unknown
may differ by at most three times that (plus 5% and half a millisecond), so a busy
machine widens the bound and an idle one narrows it. A comparison that fails is measured
once more, and both must fail: a difference in the code shows in every measurement, while
a burst of work in the other test process (pytest-xdist, two cores) rarely lands twice in
the same place."""

from __future__ import annotations

import itertools
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


def _difference(times: dict[str, list[float]]) -> str | None:
    """None when known and unknown are alike within this run's noise, else what differs."""
    median = statistics.median
    known, unknown = median(times["known"]), median(times["unknown"])
    noise = max(abs(median(runs[0::2]) - median(runs[1::2])) for runs in times.values())
    bound = 3 * noise + 0.05 * max(known, unknown) + 0.0005
    if abs(known - unknown) <= bound:
        return None
    return (
        f"known {known * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms: they differ by more "
        f"than {bound * 1000:.2f} ms, three times what chance alone made here"
    )


def _check_alike(measure: Callable[[], dict[str, list[float]]]) -> None:
    first = _difference(measure())
    if first is None:
        return
    second = _difference(measure())
    assert second is None, f"twice: {first}; then {second}"


def test_password_reset(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(email: str) -> None:
        assert client.post("/password-reset", {"email": email}).status_code == 302

    post("warm@example.org")
    _check_alike(
        lambda: _timings(
            lambda i: post("ada@example.org"), lambda i: post(f"nobody{i}@example.org"), pairs=150
        )
    )


def test_sign_up(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(username: str, email: str) -> None:
        data = {"username": username, "email": email, "password": PASSWORD}
        assert client.post("/signup", data).status_code == 302

    rounds = itertools.count()

    def measure() -> dict[str, list[float]]:
        r = next(rounds)  # a second round signs up other new addresses
        return _timings(
            lambda i: post(f"k{r}x{i}", "ada@example.org"),
            lambda i: post(f"u{r}x{i}", f"u{r}x{i}@example.org"),
            pairs=7,
        )

    _check_alike(measure)


def test_log_in(make_member: Any) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")

    def post(username: str) -> None:
        response = client.post("/login", {"username": username, "password": "not it at all"})
        assert response.status_code == 200

    _check_alike(lambda: _timings(lambda i: post("ada"), lambda i: post(f"nobody{i}"), pairs=7))
