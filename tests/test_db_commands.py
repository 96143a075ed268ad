"""`paperwire db check`, `paperwire db copy` and `paperwire web`, run for real against the
session's PostgreSQL (pgserver) and real SQLite data directories."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from paperwire.papers.supervisor import STOP_TIMEOUT
from support import PgServer, bin_path, cli_env, copy_database, free_port, run_cli, write_jsonl

pytestmark = pytest.mark.slow

PAPERS = 600  # enough batches of 20 for a copy to be stopped half-way


def assert_clean_failure(done: subprocess.CompletedProcess[str], *messages: str) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    for message in messages:
        assert message in done.stderr, done.stderr


@pytest.fixture(scope="module")
def source(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded install: the demo, 600 more papers with named authors, an account."""
    data_dir = copy_database(migrated_template, tmp_path_factory.mktemp("copy-source"))
    assert run_cli("load-demo", data_dir=data_dir).returncode == 0
    rows = [
        {
            "id": f"2601.{i:05d}",
            "title": f"Generated paper {i} about döner kebab, «quotes» and 'apostrophes'",
            "summary": f"Abstract {i}. " * 20,
            "published_at": "2026-01-02",
            "authors": [{"name": f"Author {i % 97}"}, {"name": f"Author {(i * 7) % 97}"}],
            "upvotes": i % 13,
            "feed_date": f"2026-01-{1 + i % 28:02d}",
        }
        for i in range(PAPERS)
    ]
    done = run_cli("import", str(write_jsonl(data_dir / "more.jsonl", rows)), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "createsuperuser", "--noinput", "--username", "ada", "--email", "ada@example.org",
        data_dir=data_dir, DJANGO_SUPERUSER_PASSWORD="correct horse battery staple",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return data_dir


@pytest.fixture
def new_pg_database(pg_server: PgServer) -> Callable[[], str]:
    """Make empty PostgreSQL databases (no extension, no tables); their URLs."""
    made: list[str] = []

    def make() -> str:
        name = f"paperwire_copy{next(pg_server.clones)}"
        pg_server.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return pg_server.url(name)

    yield make  # type: ignore[misc]
    for name in made:
        pg_server.drop(name)


def export(data_dir: Path, **env: str) -> list[dict[str, object]]:
    done = run_cli("export", "-", data_dir=data_dir, **env)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def copy(source: Path, url: str, *more: str) -> subprocess.CompletedProcess[str]:
    return run_cli("db", "copy", "--from", str(source), "--to", url, *more, data_dir=source,
                   timeout=300)  # fmt: skip


def test_copy_sqlite_to_postgresql_and_verify(
    source: Path, new_pg_database: Callable[[], str], pg_server: PgServer, tmp_path: Path
) -> None:
    url = new_pg_database()
    # A few stored vectors: their pgvector value is sent with the COPY (not decoded in SQL).
    vectors = np.random.default_rng(5).standard_normal((3, 384)).astype("<f4")
    with sqlite3.connect(source / "paperwire.sqlite3") as db:
        ids = [r[0] for r in db.execute("SELECT id FROM papers_paper ORDER BY id LIMIT 3")]
        db.executemany(
            "INSERT OR REPLACE INTO search_papervector "
            "(paper_id, model, dim, vector, text_hash, embedded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i, "m", 384, v.tobytes(), "-", "2026-01-01 00:00:00")
                for i, v in zip(ids, vectors, strict=True)
            ],
        )

    done = copy(source, url)

    assert done.returncode == 0, done.stderr
    assert "row counts and checksums equal" in done.stdout
    # Off a terminal, progress is plain lines with the real elapsed time.
    total = PAPERS + 137
    assert re.search(rf"^papers_paper: {total}/{total}, elapsed \d+:\d\d:\d\d$", done.stdout, re.M)
    # The verify pass reads every row of both databases, with its own progress.
    verified = re.search(r"verified \d+ tables, (\d+) rows", done.stdout)
    assert verified, done.stdout
    both = 2 * int(verified[1])
    lines = re.findall(
        r"^verify \(row counts and checksums\): (\d+)/(\d+), elapsed", done.stdout, re.M
    )
    assert lines[0] == ("0", str(both)) and lines[-1] == (str(both), str(both)), lines
    name = url.split("?")[0].rsplit("/", 1)[1]
    rows = pg_server.execute(
        "SELECT embedding::text, embedding::text = search_blob_to_vector(vector)::text "
        "FROM search_papervector ORDER BY paper_id",
        name,
    )
    assert [r[1] for r in rows] == [True] * 3
    assert pg_server.execute(
        "SELECT to_regclass('search_papervector_embedding_hnsw') IS NOT NULL", name
    ) == [(True,)]
    assert np.array_equal(np.array([json.loads(r[0]) for r in rows], dtype="<f4"), vectors)
    on_pg = export(tmp_path, PAPERWIRE_DATABASE_URL=url)
    assert len(on_pg) == PAPERS + 137
    assert on_pg == export(source)
    # A second run finds everything there and writes nothing.
    again = copy(source, url)
    assert again.returncode == 0, again.stderr
    assert "copied 0 rows" in again.stdout
    # The copied install works on: its sequences go on after the copied ids.
    more = write_jsonl(tmp_path / "new.jsonl", [{"title": "After the move", "summary": "x"}])
    done = run_cli("import", str(more), data_dir=tmp_path, PAPERWIRE_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert len(export(tmp_path, PAPERWIRE_DATABASE_URL=url)) == PAPERS + 138
    # Written to since, it is no longer a copy of the source: a copy refuses to go on.
    diverged = copy(source, url)
    assert_clean_failure(diverged, "already holds data that is not from this source")


def test_a_copy_killed_half_way_completes_on_a_rerun_without_duplicates(
    source: Path, new_pg_database: Callable[[], str], pg_server: PgServer, tmp_path: Path
) -> None:
    url = new_pg_database()
    argv = [bin_path("paperwire"), "db", "copy", "--from", str(source), "--to", url]
    process = subprocess.Popen(
        [*argv, "--batch-size", "20"],
        env=cli_env(source, PAPERWIRE_PROGRESS_SECONDS="0"),  # a line every batch
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # one line per committed batch: "table: 40/737, elapsed …"
        table, _, counts = line.strip().partition(": ")
        done, _, total = counts.partition(",")[0].partition("/")
        if table == "papers_paper" and 0 < int(done) < int(total):
            process.kill()  # SIGKILL: no clean-up of any kind
            break
    process.wait(timeout=60)
    name = url.split("?")[0].rsplit("/", 1)[1]
    (papers,) = pg_server.execute("SELECT count(*) FROM papers_paper", name)[0]
    assert 0 < papers < PAPERS + 137, "the copy was meant to stop half-way"

    rerun = copy(source, url, "--batch-size", "20")

    assert rerun.returncode == 0, rerun.stderr
    assert "row counts and checksums equal" in rerun.stdout
    assert pg_server.execute(
        "SELECT count(*), count(DISTINCT public_id) FROM papers_paper", name
    ) == [(PAPERS + 137, PAPERS + 137)]
    assert export(tmp_path, PAPERWIRE_DATABASE_URL=url) == export(source)


def test_copy_errors_are_one_clear_line(
    source: Path, new_pg_database: Callable[[], str], pg_server: PgServer
) -> None:
    unreachable = copy(source, f"postgresql://paperwire@127.0.0.1:{free_port()}/paperwire")
    assert_clean_failure(unreachable, "could not connect to PostgreSQL", "check the --to URL")

    no_role = copy(source, pg_server.url("postgres").replace("postgres@", "nobody@", 1))
    assert_clean_failure(no_role, 'role "nobody" does not exist', "check the --to URL")

    missing = copy(tmp_path_missing := source / "nowhere.sqlite3", new_pg_database())
    assert_clean_failure(missing, f"--from {tmp_path_missing}: no such SQLite file")

    same = run_cli("db", "copy", "--from", str(source), "--to", "sqlite:///paperwire.sqlite3",
                   data_dir=source)  # fmt: skip
    assert_clean_failure(same, "--from and --to are the same database")


def test_a_target_where_pgvector_cannot_be_enabled_is_one_clear_line(
    source: Path, pg_server: PgServer
) -> None:
    # A database owned by an ordinary role: pgvector is on the server, but only a superuser
    # may CREATE EXTENSION vector (it is not a trusted extension).
    name = f"paperwire_plain{next(pg_server.clones)}"
    pg_server.execute(
        "DO $$ BEGIN CREATE ROLE plain_owner LOGIN; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    pg_server.execute(f'CREATE DATABASE "{name}" OWNER plain_owner')
    try:
        url = pg_server.url(name).replace("postgres@", "plain_owner@", 1)

        done = copy(source, url)

        assert_clean_failure(done, "could not create the schema in PostgreSQL plain_owner@")
        assert "CREATE EXTENSION" in done.stderr
        # PostgreSQL's HINT ("Must be superuser …") stays on the same line.
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "HINT: Must be superuser" in done.stderr
        # `paperwire migrate` there says the same in one line.
        migrate = run_cli("migrate", data_dir=source / "m", PAPERWIRE_DATABASE_URL=url)
        assert_clean_failure(migrate, "CREATE EXTENSION")
        assert len(migrate.stderr.strip().splitlines()) == 1, migrate.stderr
    finally:
        pg_server.drop(name)


def test_wrong_password_is_named(pg_server: PgServer, tmp_path: Path) -> None:
    pg_server.require_password("pw_user", "right-password")
    url = pg_server.url("postgres").replace("postgres@", "pw_user:wrong-password@", 1)

    done = run_cli("db", "check", data_dir=tmp_path, PAPERWIRE_DATABASE_URL=url)

    assert done.returncode != 0
    assert "refused the user name or password" in done.stdout
    assert "password authentication failed" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_copy_into_a_database_holding_other_data_is_refused(
    source: Path, pg_template: str, pg_server: PgServer, tmp_path: Path
) -> None:
    name = pg_server.clone(f"paperwire_other{next(pg_server.clones)}")
    try:
        url = pg_server.url(name)
        other = write_jsonl(tmp_path / "o.jsonl", [{"title": "Someone else's", "summary": "x"}])
        assert run_cli("import", str(other), data_dir=tmp_path,
                       PAPERWIRE_DATABASE_URL=url).returncode == 0  # fmt: skip

        done = copy(source, url)

        assert_clean_failure(done, "already holds data that is not from this source")
    finally:
        pg_server.drop(name)


def test_db_check_on_postgresql(pg_template: str, pg_server: PgServer, tmp_path: Path) -> None:
    done = run_cli("db", "check", data_dir=tmp_path, PAPERWIRE_DATABASE_URL=pg_server.url(
        pg_template))  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert "PostgreSQL 18" in done.stdout
    assert "pgvector 0." in done.stdout
    assert "every migration is applied" in done.stdout
    assert "all valid" in done.stdout


def test_db_check_reports_missing_pgvector_and_migrations(
    new_pg_database: Callable[[], str], tmp_path: Path
) -> None:
    done = run_cli("db", "check", data_dir=tmp_path, PAPERWIRE_DATABASE_URL=new_pg_database())

    assert done.returncode != 0
    assert "pgvector" in done.stdout and "not enabled in this database" in done.stdout
    assert "not applied" in done.stdout and "run `paperwire migrate`" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_db_check_on_sqlite(new_data_dir: Callable[[], Path]) -> None:
    done = run_cli("db", "check", data_dir=new_data_dir())

    assert done.returncode == 0, done.stdout + done.stderr
    assert "journal mode WAL" in done.stdout
    assert "SQLite quick_check: ok" in done.stdout
    assert "full-text index" in done.stdout and "integrity ok" in done.stdout


def test_commands_on_an_unreachable_database_say_what_to_do(tmp_path: Path) -> None:
    url = f"postgresql://paperwire:secret@127.0.0.1:{free_port()}/paperwire"
    for args in (("migrate",), ("export", "-"), ("web",), ("db", "check")):
        done = run_cli(*args, data_dir=tmp_path, PAPERWIRE_DATABASE_URL=url)
        output = done.stdout + done.stderr
        assert done.returncode != 0, args
        assert "could not connect to PostgreSQL" in output, (args, output)
        assert "check PAPERWIRE_DATABASE_URL" in output, (args, output)
        assert "secret" not in output and "Traceback" not in output, (args, output)


def test_web_refuses_an_unmigrated_database(
    new_pg_database: Callable[[], str], tmp_path: Path
) -> None:
    done = run_cli("web", data_dir=tmp_path, PAPERWIRE_DATABASE_URL=new_pg_database())

    assert_clean_failure(done, "migration(s) to apply: run `paperwire migrate`")


def test_commands_on_an_unmigrated_postgresql_say_run_migrate(
    new_pg_database: Callable[[], str], tmp_path: Path
) -> None:
    # PostgreSQL reports a missing table as a ProgrammingError, SQLite as an
    # OperationalError: both are one line asking for `paperwire migrate`.
    url = new_pg_database()
    for args in (("worker", "--once"), ("ingest", "status"), ("search", "x"), ("embed",)):
        done = run_cli(*args, data_dir=tmp_path, PAPERWIRE_DATABASE_URL=url)
        assert_clean_failure(done, "the schema is missing or old; run `paperwire migrate`")
        assert "LINE 1" not in done.stderr, (args, done.stderr)


def test_web_serves_postgresql_without_demo_or_worker(
    new_pg_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_pg_database()
    assert run_cli("migrate", data_dir=tmp_path, PAPERWIRE_DATABASE_URL=url).returncode == 0
    # A page cached by the release before (the cache is shared, in the database).
    assert _shared_cache(tmp_path, url, "set") == "old page"
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [bin_path("paperwire"), "web", "--port", str(port), "--workers", "1"],
            env=cli_env(tmp_path / "web-data", PAPERWIRE_DATABASE_URL=url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        body = _get_when_up(f"http://127.0.0.1:{port}/api/daily_papers", process, log)
        assert json.loads(body) == []  # no demo loaded into a PostgreSQL database
        assert "paperwire web serving" in log.read_text()
        children = subprocess.run(
            ["ps", "-o", "args=", "--ppid", str(process.pid)], capture_output=True, text=True
        ).stdout
        assert "granian" in children and "worker" not in children
        assert _shared_cache(tmp_path, url, "get") == "None"  # cleared on start
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        # Well under a second as a rule; the supervisor's own bound is STOP_TIMEOUT + 10 s
        # (then it kills granian), so waiting exactly that long raced it on a busy machine.
        process.wait(timeout=STOP_TIMEOUT + 30)


def _shared_cache(data_dir: Path, url: str, op: str) -> str:
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        + ("cache.set('stale-page', 'old page', 3600); " if op == "set" else "")
        + "print(cache.get('stale-page'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**cli_env(data_dir, PAPERWIRE_DATABASE_URL=url),
             "DJANGO_SETTINGS_MODULE": "paperwire.settings"},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _get_when_up(url: str, process: subprocess.Popen[bytes], log: Path) -> bytes:
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"paperwire web exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"paperwire web did not answer:\n{log.read_text()}")
