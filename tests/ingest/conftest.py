"""Fixtures of the ingest tests: a local arXiv stand-in and a clock that never sleeps."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest-django loads settings before this file; the variable is for subprocesses
# (and for runs where the top-level conftest did not set it).
os.environ.setdefault("PAPERWIRE_DATA_DIR", tempfile.mkdtemp(prefix="paperwire-ingest-"))
sys.path.insert(0, str(Path(__file__).parent))

from arxiv_fake import FakeArxiv, FakeClock

from paperwire.ingest.http import PoliteClient


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    server = FakeArxiv().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[PoliteClient]:
    with PoliteClient(
        delay=3.0, retries=3, timeout=5.0, clock=clock.monotonic, sleep=clock.sleep
    ) as polite:
        yield polite


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    """Every database test here runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend
