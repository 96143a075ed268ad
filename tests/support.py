"""Helpers the test modules import (`from support import run_cli, …`).

Never `from conftest import …`: every test directory without __init__.py has its own
module named `conftest`, and whichever was imported last answers to that name.
tests/conftest.py re-exports these for its fixtures.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

# The session's PostgreSQL databases (see the `backend` fixture in tests/conftest.py).
PG_TEMPLATE = "paperwire_template"
PG_SHARED = "paperwire_tests"

# The console scripts of the environment running the tests (.venv/bin).
BIN_DIR = Path(sys.executable).parent


def bin_path(name: str) -> str:
    path = BIN_DIR / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make install-test`")
    return str(path)


def delivered_mail() -> list[Any]:
    """Do the password resets asked for and send what the outbox holds, as the web
    process's mail thread would, and return Django's test outbox (tests run inside a
    transaction, so the request's own work-after-commit never runs)."""
    from django.core import mail

    from paperwire.community.models import ResetRequest
    from paperwire.community.resets import do_reset
    from paperwire.mail.outbox import send_due_mail

    for pk in ResetRequest.objects.values_list("pk", flat=True):
        do_reset(pk)
    send_due_mail()
    return list(mail.outbox)


def mails_to(address: str) -> list[Any]:
    """The mails delivered (delivered_mail) to `address` alone."""
    return [m for m in delivered_mail() if m.to == [address]]


def client_of(user: Any, **options: Any) -> Any:
    """A test client logged in as `user`, on the host the tests' SITE_URL names."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", **options)
    client.force_login(user)
    return client


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """The site's Argon2, same algorithm name and code, at its smallest cost: the
    default parameters cost about 0.2 s of CPU (eight threads) for every password set or
    checked in a test process. Tests marked `production_password_hasher` (the stored
    hash, the timing of log in and sign-up) run with the settings' own hashers; the
    servers the tests start never see this one."""

    time_cost = 1
    memory_cost = 8  # KiB, the least argon2 allows for one lane
    parallelism = 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """This process's environment without its paperwire settings, except the shared
    directory of the derived embedding model (tests/conftest.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    if "PAPERWIRE_MODEL_DIR" in os.environ:
        env["PAPERWIRE_MODEL_DIR"] = os.environ["PAPERWIRE_MODEL_DIR"]
    return env


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a `paperwire` subprocess with its own data directory."""
    env = base_env()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PAPERWIRE_DATA_DIR"] = str(data_dir)
    env["PAPERWIRE_SECRET_KEY"] = "paperwire-tests-not-a-secret"
    env.update(extra)
    return env


def run_cli(
    *args: str, data_dir: Path, stdin: bytes | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `paperwire ARGS` for real and capture what it prints."""
    return subprocess.run(
        [bin_path("paperwire"), *args],
        env=cli_env(data_dir, **env),
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_database(template: Path, data_dir: Path) -> Path:
    """`data_dir` (made if missing) holding a copy of the database in `template`, the
    data directory of the session's `paperwire migrate` (the `migrated_template` fixture):
    what `paperwire migrate` makes there, without a second migrate's seconds."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for path in template.glob("paperwire.sqlite3*"):
        shutil.copy2(path, data_dir / path.name)
    return data_dir


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@dataclass
class PgServer:
    """The session's PostgreSQL: superuser `postgres`, reached through a Unix socket."""

    socket_dir: str
    data_dir: Path
    clones: Iterator[int]

    def url(self, database: str = "postgres") -> str:
        """A PAPERWIRE_DATABASE_URL for one of its databases."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql.encode())
            return cursor.fetchall() if cursor.description else []

    def clone(self, name: str, template: str = PG_TEMPLATE) -> str:
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def require_password(self, role: str, password: str) -> None:
        """A login role that must give its password (the server trusts everyone else)."""
        hba = self.data_dir / "pg_hba.conf"
        rule = f"local all {role} scram-sha-256\n"
        if rule not in hba.read_text():
            hba.write_text(rule + hba.read_text())
        self.execute(
            f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; "
            f"END $$; ALTER ROLE {role} PASSWORD '{password}'; SELECT pg_reload_conf()"
        )


@dataclass
class LiveServer:
    url: str  # without a trailing slash
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def without_tokens(html: str) -> str:
    """A page without its attribute values (a CSRF token, a nonce), which are random and
    may spell any short word a test says the page must not show."""
    return re.sub(r'(value|nonce)="[^"]*"', "", html)


# --- small feeds, written as real files and loaded through the real import code ---

THIS_YEAR = time.gmtime().tm_year

# Three feed days (2026-01-05, 2026-01-07, 2026-02-03) with gaps between them, and
# every kind of byline: author names, an author count, an organization.
SMALL_FEED: list[dict[str, Any]] = [
    {
        "title": "Lemmas Without Morphology",
        "summary": "We lemmatize six languages without morphological tags.",
        "published_at": "2023-02-01",
        "num_authors": 2,
        "upvotes": 3,
        "feed_date": "2026-01-05",
    },
    {
        "title": "Hidden-State Clustering for Verification",
        "summary": "CLUE verifies answers from hidden states.",
        "published_at": f"{THIS_YEAR}-01-09",
        "organization": {"name": "tencent", "fullname": "Tencent"},
        "upvotes": 7,
        "feed_date": "2026-01-05",
    },
    {
        "id": "2401.01234",
        "title": "Structured State Spaces, Revisited",
        "summary": "S4 with named authors and an arXiv id.",
        "published_at": "2024-01-02",
        "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}],
        "upvotes": 3,
        "feed_date": "2026-01-05",
    },
    {
        "title": "Esports Replays at Scale",
        "summary": "A dataset of StarCraft II replays.",
        "published_at": "2022-07-07",
        "num_authors": 8,
        "upvotes": 1,
        "feed_date": "2026-01-07",
    },
    {
        "title": "GPU Communication Abstractions",
        "summary": "MSCCL++ rethinks collective communication.",
        "published_at": "2025-04-11",
        "num_authors": 13,
        "upvotes": 0,
        "feed_date": "2026-02-03",
    },
]


@contextlib.contextmanager
def serving(data_dir: Path, seconds: float = 60) -> Iterator[LiveServer]:
    """`paperwire serve --no-worker` on `data_dir` and a free port, as a user starts it,
    until it answers `/api/daily_papers`; stopped with its process group afterwards
    (granian's workers go with it)."""
    log = data_dir / "serve.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [bin_path("paperwire"), "serve", "--port", str(port), "--no-worker"],
            env=cli_env(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group
        )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, process, log)
    try:
        wait_until_answers(
            process, log, lambda: server.get("/api/daily_papers?limit=1")[0] == 200, seconds
        )
        yield server
    finally:
        stop_process_group(process)


@contextlib.contextmanager
def serving_small_feed(template: Path, data_dir: Path, *scripts: str) -> Iterator[LiveServer]:
    """`serving` a copy of the migrated template with SMALL_FEED loaded by `paperwire
    import` and each script run by `paperwire shell -c` (members, comments, …)."""
    data_dir = copy_database(template, data_dir)
    feed_file = write_jsonl(data_dir / "small.jsonl", SMALL_FEED)
    for args in (("import", str(feed_file)), *(("shell", "-c", script) for script in scripts)):
        done = run_cli(*args, data_dir=data_dir, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    with serving(data_dir, seconds=120) as server:
        yield server


def wait_until_answers(
    process: subprocess.Popen[bytes], log: Path, answers: Callable[[], bool], seconds: float
) -> None:
    """Poll `answers()` (connection errors count as not yet) until it is true; fail the
    test with the server's log if the process ends first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            pytest.fail(f"paperwire serve exited early:\n{log.read_text()}")
        try:
            if answers():
                return
        except OSError:  # refused, reset, or urllib's URLError (a subclass)
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"paperwire serve did not answer in time:\n{log.read_text()}")
        time.sleep(0.2)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM to a server started with start_new_session=True and its whole group
    (granian's workers, the job worker); SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- the demo papers, imported once per process and database, replayed after that ---

# The tables `import_file` writes when it stores papers (bump_data_version's row aside).
_DEMO_MODELS = ("Organization", "Author", "Paper", "PaperAuthor", "FeedEntry")
# What the real import of the demo stored, per database vendor: each model's rows in the
# order of their ids, without the times Django sets on save. None: not replayable.
_demo_rows: dict[str, list[tuple[Any, list[dict[str, Any]]]] | None] = {}


def import_demo(path: Path, expected: int) -> None:
    """The demo papers in `path`, as `import_file(path)` stores them into a database with
    no papers; `expected` of them created, no problems.

    The first import per process and database runs the real import code (which the
    import tests cover as well) and remembers every row it wrote; later imports into a
    database with no papers insert the same rows in one statement per table (ids given
    by the database, in the same order, foreign keys following them; timestamps now;
    the search triggers fire as they do for the real import) and bump the data version
    as the import does: a second or less of each test on PostgreSQL, a third on SQLite.
    tests/papers/test_load_demo.py checks that the two store the same papers."""
    from django.apps import apps
    from django.db import connection

    from paperwire.papers.store import bump_data_version
    from paperwire.papers.transfer import import_file

    models = [apps.get_model("papers", name) for name in _DEMO_MODELS]
    fresh = not any(model.objects.exists() for model in models)
    remembered = _demo_rows.get(connection.vendor)
    if fresh and remembered:
        _insert_rows(remembered)
        bump_data_version()
        return
    counts = _row_counts() if fresh and connection.vendor not in _demo_rows else None
    result = import_file(path)
    assert result.created == expected and not result.problems, result
    if counts is not None:
        _demo_rows[connection.vendor] = _remember_rows(models, counts)


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    # Proxy models (community.ModeratedPaper) share their model's table.
    return {m._meta.label: m.objects.count() for m in apps.get_models() if not m._meta.proxy}


def _remember_rows(models: list[Any], before: dict[str, int]) -> Any:
    """The rows the import wrote, or None when it wrote where a replay would not."""
    from django.apps import apps

    after = _row_counts()
    changed = {label for label, count in after.items() if count != before[label]}
    # DataVersion: bump_data_version's row. PaperVector: none here; any other table the
    # import wrote (one added later) makes the replay unsafe, so it is not used.
    allowed = {model._meta.label for model in models} | {"papers.DataVersion"}
    if not changed <= allowed:
        return None
    rows: list[tuple[Any, list[dict[str, Any]]]] = []
    known = {model._meta.label for model in models}
    for model in models:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
        for field in fields:
            if field.is_relation and field.related_model._meta.label not in known:
                if model.objects.filter(**{f"{field.attname}__isnull": False}).exists():
                    return None  # a reference outside the replayed tables
        rows.append(
            (
                model,
                [
                    {"pk": obj.pk, **{f.attname: getattr(obj, f.attname) for f in fields}}
                    for obj in model.objects.order_by("pk")
                ],
            )
        )
    assert apps.get_model("papers", "Paper").objects.count() > 0
    return rows


def _insert_rows(remembered: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    new_ids: dict[str, dict[Any, Any]] = {}
    for model, rows in remembered:
        relations = {
            f.attname: f.related_model._meta.label
            for f in model._meta.concrete_fields
            if f.is_relation and not f.primary_key
        }
        objects = []
        for row in copy.deepcopy(rows):  # JSON fields' lists are not shared between tests
            values = {name: value for name, value in row.items() if name != "pk"}
            for name, label in relations.items():
                if values[name] is not None:
                    values[name] = new_ids[label][values[name]]
            objects.append(model(**values))
        made = model.objects.bulk_create(objects)
        assert all(obj.pk is not None for obj in made)
        new_ids[model._meta.label] = {
            row["pk"]: obj.pk for row, obj in zip(rows, made, strict=True)
        }
