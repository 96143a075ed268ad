"""The suite runs on a real SQLite file, configured as `paperwire serve` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_tests_use_a_real_sqlite_file_in_a_temporary_data_dir() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("runs on SQLite only")
    path = Path(connection.settings_dict["NAME"])

    assert path.is_file()
    assert path.parent == Path(settings.DATA_DIR)
    assert "paperwire-tests-" in str(path)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_postgresql_backend_is_a_real_server_with_pgvector(backend: str) -> None:
    from paperwire.papers.dbtools import pending_migrations, vector_extension

    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 140000  # type: ignore[attr-defined]
    installed, _ = vector_extension()
    assert installed is not None and tuple(map(int, installed.split(".")[:2])) >= (0, 5)
    assert pending_migrations() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector")
        assert 0 < cursor.fetchone()[0] < 0.01
