"""Every process of one site signs with the same secret key: the first `web`, `worker`
or `serve` records a fingerprint of its key in the database, and a process with another
key refuses to start with one line saying what to set, instead of logging members out
and breaking every mailed link (papers/secretkey.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperwire.papers.models import SiteKey
from paperwire.papers.secretkey import (
    SecretKeyMismatch,
    check_secret_key,
    fingerprint,
    secret_key_state,
)
from support import PgServer, free_port, run_cli

SITE_KEY = "the-site-key-" + "x" * 40


@pytest.mark.django_db
def test_the_first_key_is_recorded_and_another_is_refused(backend: str, settings) -> None:
    settings.SECRET_KEY = SITE_KEY
    assert secret_key_state() == "unrecorded"
    check_secret_key()
    check_secret_key()  # the same key again: fine
    assert SiteKey.objects.get().fingerprint == fingerprint(SITE_KEY)
    assert secret_key_state() == "same"
    assert SITE_KEY not in SiteKey.objects.get().fingerprint

    settings.SECRET_KEY = "another-machine-" + "y" * 40
    assert secret_key_state() == "different"
    with pytest.raises(SecretKeyMismatch, match="Set PAPERWIRE_SECRET_KEY to the site's key"):
        check_secret_key()
    assert SiteKey.objects.get().fingerprint == fingerprint(SITE_KEY)  # left as it was


@pytest.mark.django_db
def test_a_key_changed_on_purpose_takes_over_from_its_fallback(backend: str, settings) -> None:
    settings.SECRET_KEY = SITE_KEY
    check_secret_key()
    new = "the-new-key-" + "z" * 40
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [SITE_KEY]
    check_secret_key()
    assert SiteKey.objects.get().fingerprint == fingerprint(new)
    # Once taken over, the old key alone is another machine's key.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = SITE_KEY, []
    with pytest.raises(SecretKeyMismatch):
        check_secret_key()


@pytest.fixture
def empty_pg_database(pg_server: PgServer) -> Iterator[str]:
    name = f"paperwire_key{next(pg_server.clones)}"
    pg_server.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    pg_server.drop(name)


def test_a_copied_site_refuses_processes_without_its_key(
    tmp_path: Path, empty_pg_database: str, new_data_dir: Callable[[], Path]
) -> None:
    """The walk of docs/deployment.md: an embedded install (its key generated into its
    data directory) is copied to PostgreSQL; a new machine that forgot
    PAPERWIRE_SECRET_KEY is stopped at start, and starts with the old install's key."""
    old = new_data_dir()  # migrated, with no key recorded and no secret_key file yet
    no_key = {"PAPERWIRE_SECRET_KEY": ""}  # as a user's shell: the data directory's key
    done = run_cli("worker", "--once", data_dir=old, **no_key)
    assert done.returncode == 0, done.stderr
    new = tmp_path / "new"
    on_pg = {"PAPERWIRE_DATABASE_URL": empty_pg_database}
    # As deployment.md sets a database up: migrate it, and try a worker on it (whose own
    # key, made in its new data directory, it records) before copying. At any hour: the
    # digests' job is due, so the trial worker claims and runs it there (it had broken the
    # copy from 07:00 UTC, the default digest hour, on).
    assert run_cli("migrate", data_dir=new, **on_pg, **no_key).returncode == 0
    trial = run_cli("worker", "--once", data_dir=new, **on_pg, **no_key, PAPERWIRE_DIGEST_HOUR="0")
    assert trial.returncode == 0, trial.stderr

    done = run_cli("db", "copy", "--from", str(old), "--to", empty_pg_database, data_dir=old)
    assert done.returncode == 0, done.stderr

    for command in (["worker", "--once"], ["web", "--port", str(free_port())]):
        done = run_cli(*command, data_dir=new, **on_pg, **no_key)
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert f"{new / 'secret_key'}, as PAPERWIRE_SECRET_KEY is not set" in lines[0]
        assert "the old install's $PAPERWIRE_DATA_DIR/secret_key" in lines[0]

    checked = run_cli("db", "check", data_dir=new, **on_pg, **no_key)
    assert checked.returncode == 0, checked.stderr  # a warning: db check signs nothing
    assert "warning  this process's secret key" in checked.stdout

    site_key = (old / "secret_key").read_text().strip()
    done = run_cli("worker", "--once", data_dir=new, **on_pg, PAPERWIRE_SECRET_KEY=site_key)
    assert done.returncode == 0, done.stderr
    checked = run_cli("db", "check", data_dir=new, **on_pg, PAPERWIRE_SECRET_KEY=site_key)
    assert "ok  the secret key is the site's (PAPERWIRE_SECRET_KEY)" in checked.stdout


def test_a_lost_key_is_replaced_with_db_accept_key(new_data_dir: Callable[[], Path]) -> None:
    """An embedded install whose secret_key file was lost: its worker refuses the new key
    until the operator accepts it, once."""
    no_key = {"PAPERWIRE_SECRET_KEY": ""}
    tmp_path = new_data_dir()  # migrated, with no key recorded yet
    assert run_cli("worker", "--once", data_dir=tmp_path, **no_key).returncode == 0
    (tmp_path / "secret_key").unlink()  # the next process makes a new one

    refused = run_cli("worker", "--once", data_dir=tmp_path, **no_key)
    assert refused.returncode == 1
    assert "run `paperwire db accept-key` once with the new one" in refused.stderr

    accepted = run_cli("db", "accept-key", data_dir=tmp_path, **no_key)
    assert accepted.returncode == 0, accepted.stderr
    assert f"the secret key of {tmp_path / 'secret_key'}" in accepted.stdout
    assert "is now the site's key" in accepted.stdout
    assert run_cli("worker", "--once", data_dir=tmp_path, **no_key).returncode == 0
    again = run_cli("db", "accept-key", data_dir=tmp_path, **no_key)
    assert "already is the site's key" in again.stdout
