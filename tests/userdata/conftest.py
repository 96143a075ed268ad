"""Every database test of a member's own data runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend
