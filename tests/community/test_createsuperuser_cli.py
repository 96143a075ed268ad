"""`paperwire createsuperuser` where no one can answer its prompts, run for real: a
script, `ssh host paperwire createsuperuser`, a container without a terminal."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]


def staff(data_dir: Path) -> list[tuple[str, bool]]:
    with sqlite3.connect(data_dir / "paperwire.sqlite3") as db:
        rows = db.execute(
            "SELECT username, password LIKE '!%' FROM auth_user WHERE is_superuser ORDER BY 1"
        ).fetchall()
    return [(name, bool(unusable)) for name, unusable in rows]


def test_without_a_terminal_it_fails_saying_how_to_run_it(
    cli: Cli, new_data_dir: Callable[[], Path]
) -> None:
    data_dir = new_data_dir()

    done = cli(
        "createsuperuser", "--username", "boss", "--email", "b@example.org", data_dir=data_dir
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "manage.py" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "paperwire: no terminal to ask for the password: run `paperwire createsuperuser` in "
        "a terminal, or give --noinput --username NAME --email ADDRESS with the password in "
        "DJANGO_SUPERUSER_PASSWORD"
    ]
    assert staff(data_dir) == []


def test_noinput_without_a_password_says_the_account_cannot_log_in_yet(
    cli: Cli, new_data_dir: Callable[[], Path]
) -> None:
    data_dir = new_data_dir()

    done = cli(
        "createsuperuser",
        "--noinput",
        "--username",
        "boss",
        "--email",
        "b@example.org",
        data_dir=data_dir,
    )

    assert done.returncode == 0, done.stderr
    assert "Superuser created successfully." in done.stdout
    assert "note: boss has no password, so cannot log in yet" in done.stderr
    assert "`paperwire changepassword boss`" in done.stderr
    assert staff(data_dir) == [("boss", True)]


def test_noinput_with_a_password_says_nothing_more(
    cli: Cli, new_data_dir: Callable[[], Path]
) -> None:
    data_dir = new_data_dir()

    done = cli(
        "createsuperuser",
        "--noinput",
        "--email",
        "b@example.org",
        data_dir=data_dir,
        DJANGO_SUPERUSER_USERNAME="boss",
        DJANGO_SUPERUSER_PASSWORD="a long pass phrase",
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert staff(data_dir) == [("boss", False)]
