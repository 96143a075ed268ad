"""PAPERWIRE_DATABASE_URL: the forms docs/configuration.md and docs/deployment.md show."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.settings import database_from_url


def test_postgresql_url_with_host_port_and_password() -> None:
    db = database_from_url("postgresql://paper:s%40cret@db.internal:6432/paperwire", Path("/d"))

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("paperwire", "paper", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.internal", "6432")
    assert db["OPTIONS"] == {"connect_timeout": 10}
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True


def test_postgresql_url_over_a_unix_socket() -> None:
    db = database_from_url("postgresql://paper@/paperwire?host=/run/postgresql", Path("/d"))

    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("paperwire", "paper", "")
    assert (db["HOST"], db["PORT"]) == ("/run/postgresql", "")


def test_pooler_and_libpq_parameters() -> None:
    db = database_from_url(
        "postgres://u:p@pool:6432/pw?conn_max_age=0&disable_server_side_cursors=1"
        "&sslmode=require&connect_timeout=3",
        Path("/d"),
    )

    assert db["CONN_MAX_AGE"] == 0 and db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["OPTIONS"] == {"connect_timeout": "3", "sslmode": "require"}


def test_sqlite_urls(tmp_path: Path) -> None:
    assert database_from_url("sqlite:///site.db", tmp_path)["NAME"] == str(tmp_path / "site.db")
    absolute = tmp_path / "elsewhere" / "x.db"
    assert database_from_url(f"sqlite:///{absolute}", tmp_path)["NAME"] == str(absolute)


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported scheme 'mysql'"):
        database_from_url("mysql://u@h/db", Path("/d"))


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_a_bad_conn_max_age_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match=f"bad conn_max_age '{value}': use seconds"):
        database_from_url(f"postgresql://u@h/db?conn_max_age={value}", Path("/d"))
