"""Upgrading a database whose accounts share addresses, and `paperwire createsuperuser`
with a taken address, through the real command on SQLite and PostgreSQL: one
`paperwire: …` line and a non-zero exit status, no traceback, nothing changed."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from paperwire.community.addresses import UNIQUE_INDEX
from support import PgServer, run_cli

pytestmark = pytest.mark.slow

ACCOUNTS = [
    ("ada", "ada@example.org"),
    ("ada-again", "ADA@Example.org"),
    ("bob", "bob@example.org"),
    ("bobby", "Bob@example.org"),
    ("bob3", "bob@EXAMPLE.ORG"),
    ("carol", "carol@example.org"),
    ("nobody1", ""),
    ("nobody2", ""),
]


@dataclass
class Database:
    """A migrated database of its own, for `paperwire` subprocesses."""

    engine: str
    env: dict[str, str]
    data_dir: Path
    sql: Callable[[str], list[tuple[Any, ...]]]

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, data_dir=self.data_dir, timeout=120, **self.env, **env)

    def add_accounts(self, accounts: list[tuple[str, str]]) -> None:
        for username, email in accounts:
            self.sql(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, "
                "last_name, email, is_staff, is_active, date_joined) VALUES ('!', false, "
                f"'{username}', '', '', '{email}', false, true, '2026-01-02 10:00:00')"
            )

    def accounts(self) -> list[tuple[Any, ...]]:
        return self.sql("SELECT username, email FROM auth_user ORDER BY username")

    def has_index(self) -> bool:
        found = self.sql(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            if self.engine == "sqlite"
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'auth_user'"
        )
        return (UNIQUE_INDEX,) in found


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, new_data_dir: Callable[[], Path], tmp_path: Path
) -> Iterator[Database]:
    if request.param == "sqlite":
        data_dir = new_data_dir()

        def on_sqlite(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(data_dir / "paperwire.sqlite3") as db:
                return db.execute(sql).fetchall()

        yield Database("sqlite", {}, data_dir, on_sqlite)
        return
    pg: PgServer = request.getfixturevalue("pg_server")
    request.getfixturevalue("pg_template")
    name = pg.clone(f"paperwire_addresses{next(pg.clones)}")
    try:
        yield Database(
            "postgresql",
            {"PAPERWIRE_DATABASE_URL": pg.url(name)},
            tmp_path,
            lambda sql: pg.execute(sql, name),
        )
    finally:
        pg.drop(name)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("paperwire: "), line
    return line


def test_an_upgrade_stops_on_shared_addresses_and_goes_on_once_they_are_fixed(
    database: Database,
) -> None:
    # The database as the release before this one left it (the index undone), with
    # addresses shared in different cases, as application checks alone could let happen.
    undone = database.cli("migrate", "community", "0004")
    assert undone.returncode == 0, undone.stderr
    assert not database.has_index()
    database.add_accounts(ACCOUNTS)
    before = database.accounts()

    line = one_error_line(database.cli("migrate"))

    assert "2 address(es) belong to more than one account" in line
    assert "ada@example.org: ada, ada-again" in line
    assert "bob@example.org: bob, bob3, bobby" in line
    assert "carol" not in line and "nobody" not in line
    assert "Nothing was changed" in line and "run `paperwire migrate` again" in line
    assert "/admin/" in line
    assert database.accounts() == before and not database.has_index()

    # The operator gives each account an address of its own, then migrates again.
    database.sql("UPDATE auth_user SET email = 'ada2@example.org' WHERE username = 'ada-again'")
    database.sql("UPDATE auth_user SET email = 'bobby@example.org' WHERE username = 'bobby'")
    still = one_error_line(database.cli("migrate"))
    assert "1 address(es)" in still and "bob@example.org: bob, bob3" in still
    database.sql("UPDATE auth_user SET email = '' WHERE username = 'bob3'")

    done = database.cli("migrate")
    assert done.returncode == 0, done.stderr
    assert "Applying community.0005_one_account_per_address... OK" in done.stdout
    assert database.has_index()
    with pytest.raises(Exception, match=r"(?i)unique"):
        database.add_accounts([("late", "CAROL@example.org")])


@pytest.mark.parametrize("given", ["--email", "DJANGO_SUPERUSER_EMAIL"])
def test_createsuperuser_with_a_taken_address_is_one_error_line(
    database: Database, given: str
) -> None:
    database.add_accounts([("ada", "ada@example.org")])
    args = ["createsuperuser", "--noinput", "--username", "root"]
    env = {"DJANGO_SUPERUSER_PASSWORD": "a staff passphrase 31 long"}
    if given == "--email":
        args += ["--email", "Ada@Example.org"]
    else:
        env["DJANGO_SUPERUSER_EMAIL"] = "Ada@Example.org"

    line = one_error_line(database.cli(*args, **env))

    assert line == (
        "paperwire: An account with this address already exists: Ada@Example.org. Give the "
        "new account another address, or make that account staff in /admin/."
    )
    assert [name for name, _ in database.accounts()] == ["ada"]

    free = database.cli("createsuperuser", "--noinput", "--username", "root", "--email",
                        "root@example.org", **env)  # fmt: skip
    assert free.returncode == 0, free.stderr
    assert "Superuser created successfully." in free.stdout
