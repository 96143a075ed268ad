"""Scale-out for real: two `paperwire web` and two `paperwire worker` processes on one
PostgreSQL (the session's pgserver). The workers ingest from a local arXiv stand-in;
members upvote concurrently through both web servers. Every count must be exact, every
scheduled job run once, and each web server must show the other's writes at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support import PgServer, bin_path, cli_env, free_port, run_cli

sys.path.insert(0, str(Path(__file__).parent / "ingest"))
from arxiv_fake import FakeArxiv, Reply, raw_page

pytestmark = pytest.mark.slow

PAGES = 3
PER_PAGE = 40
MEMBERS = 16


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.log.read_text(errors="replace")


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    """OAI-PMH ListRecords: PAGES pages of generated records, linked by tokens."""
    size = PAGES * PER_PAGE
    pages = {
        i: raw_page(
            range(i * PER_PAGE, (i + 1) * PER_PAGE), f"t{i + 1}" if i + 1 < PAGES else None, size
        )
        for i in range(PAGES)
    }

    def handle(path: str, params: dict[str, str]) -> Reply:
        token = params.get("resumptionToken")
        return Reply(body=pages[0 if token is None else int(token[1:])])

    server = FakeArxiv()
    server.handler = handle
    server.start()
    yield server
    server.stop()


@pytest.fixture
def scale_db(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    name = pg_server.clone(f"paperwire_scale{next(pg_server.clones)}")
    yield name
    pg_server.drop(name)


def start(name: str, args: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [bin_path("paperwire"), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: granian's children go with it
        )
    return Proc(name, process, log)


def wait_for(what: str, check: object, procs: list[Proc], seconds: float = 180) -> None:
    """Poll `check()` until it is true; fail with every log when a process dies or the
    (generous) deadline passes. A wait, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.process.poll() is not None:
                pytest.fail(f"{proc.name} exited while waiting for {what}:\n{proc.stop()}")
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.3)
    logs = "\n".join(f"--- {p.name}\n{p.stop()}" for p in procs)
    pytest.fail(f"no {what} within {seconds:.0f} s:\n{logs}")


def up(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/daily_papers?limit=1", timeout=5):
        return True


SESSIONS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from paperwire.community.models import Profile
keys = []
for i in range({n}):
    user = User.objects.create_user(f"member{{i}}", f"member{{i}}@example.org", None)
    Profile.objects.create(user=user, email_verified=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print(json.dumps(keys))
"""


def test_two_web_and_two_worker_processes_on_one_postgresql(
    pg_server: PgServer, scale_db: str, arxiv: FakeArxiv, tmp_path: Path
) -> None:
    url = pg_server.url(scale_db)
    env = cli_env(
        tmp_path / "data",
        PAPERWIRE_DATABASE_URL=url,
        PAPERWIRE_INGEST_CATEGORIES="cs.CL",
        PAPERWIRE_INGEST_SOURCE="oai",
        PAPERWIRE_ARXIV_OAI_URL=arxiv.url + "/oai",
        PAPERWIRE_ARXIV_DELAY="0",
        PAPERWIRE_INGEST_HOUR="0",
        PAPERWIRE_DIGEST_HOUR="0",
        PAPERWIRE_EMBED_AFTER_INGEST="0",
    )
    ports = [free_port(), free_port()]
    procs = [
        start(f"web{i}", ["web", "--port", str(port), "--workers", "1", "--threads", "4"], env,
              tmp_path / f"web{i}.log")
        for i, port in enumerate(ports)
    ] + [
        start(f"worker{i}", ["worker", "--poll", "0.5"], env, tmp_path / f"worker{i}.log")
        for i in range(2)
    ]  # fmt: skip
    try:
        for port in ports:
            wait_for(f"web on port {port}", lambda port=port: up(port), procs)

        def jobs_done() -> bool:
            rows = pg_server.execute("SELECT status FROM ingest_scheduledrun", scale_db)
            return len(rows) == 2 and all(status in ("ok", "failed") for (status,) in rows)

        wait_for("both daily jobs", jobs_done, procs)

        # Each job ran once: one claim each, each OAI page fetched once, one line in all logs.
        runs = pg_server.execute(
            "SELECT name, status, claimed_by FROM ingest_scheduledrun ORDER BY name", scale_db
        )
        assert [(name, status) for name, status, _ in runs] == [
            ("ingest-arxiv", "ok"),
            ("send-digests", "ok"),
        ], runs
        assert len(arxiv.requests) == PAGES, arxiv.requests
        papers = pg_server.execute(
            "SELECT count(*), count(DISTINCT arxiv_id) FROM papers_paper", scale_db
        )
        assert papers == [(PAGES * PER_PAGE, PAGES * PER_PAGE)]

        # Members vote at once through both servers, each request sent twice.
        keys = json.loads(
            run_cli("shell", "-c", SESSIONS.format(n=MEMBERS), data_dir=tmp_path / "data",
                    PAPERWIRE_DATABASE_URL=url).stdout.splitlines()[-1]
        )  # fmt: skip
        assert len(keys) == MEMBERS
        (first, second) = [
            row[0]
            for row in pg_server.execute(
                "SELECT p.public_id FROM papers_paper p JOIN papers_feedentry e "
                "ON e.paper_id = p.id ORDER BY p.arxiv_id LIMIT 2",
                scale_db,
            )
        ]
        clients = [
            httpx.Client(base_url=f"http://127.0.0.1:{ports[i % 2]}", timeout=60,
                         cookies={"sessionid": key})
            for i, key in enumerate(keys)
        ]  # fmt: skip
        tokens = [_csrf(client, first) for client in clients]

        def vote(job: tuple[int, str, str]) -> int:
            i, paper, value = job
            response = clients[i].post(
                f"/papers/{paper}/upvote",
                data={"vote": value, "csrfmiddlewaretoken": tokens[i]},
                headers={"X-CSRFToken": tokens[i]},
            )
            return response.status_code

        ups = [(i, p, "1") for i in range(MEMBERS) for p in (first, second)] * 2
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(vote, ups))
        assert statuses == [302] * len(ups)
        # Then every other member takes back the upvote on the second paper, twice.
        downs = [(i, second, "0") for i in range(0, MEMBERS, 2)] * 2
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(vote, downs))
        assert statuses == [302] * len(downs)
        for client in clients:
            client.close()

        expected = {first: MEMBERS, second: MEMBERS // 2}
        for paper, count in expected.items():
            stored = pg_server.execute(
                "SELECT e.upvotes, (SELECT count(*) FROM community_upvote u "
                "WHERE u.paper_id = p.id) FROM papers_paper p JOIN papers_feedentry e "
                f"ON e.paper_id = p.id WHERE p.public_id = '{paper}'",
                scale_db,
            )
            assert stored == [(count, count)], (paper, stored)
            # Both servers show the count at once: no process kept an old page.
            for port in ports:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/papers/{paper}", timeout=10
                ) as response:
                    assert json.loads(response.read())["upvotes"] == count, (port, paper)

        # Still once: the workers polled all along and ran nothing twice.
        assert len(arxiv.requests) == PAGES
        logs = {p.name: p.stop() for p in procs}
        worker_logs = logs["worker0"] + logs["worker1"]
        assert worker_logs.count("ingest-arxiv:") == 1, worker_logs
        assert worker_logs.count("send-digests:") == 1, worker_logs
        # The runs went through the task queue: one task per job, taken by one worker.
        tasks = pg_server.execute(
            "SELECT args_kwargs->'args'->>0, status, jsonb_array_length(worker_ids) "
            "FROM django_tasks_database_dbtaskresult ORDER BY 1",
            scale_db,
        )
        assert tasks == [("ingest-arxiv", "SUCCESSFUL", 1), ("send-digests", "SUCCESSFUL", 1)]
        assert "Traceback" not in "".join(logs.values()), logs
    finally:
        for proc in procs:
            proc.stop()


def _csrf(client: httpx.Client, paper: str) -> str:
    page = client.get(f"/papers/{paper}")
    assert page.status_code == 200, page.text[:300]
    token = client.cookies.get("csrftoken")
    assert token, "the paper page sets a CSRF cookie"
    return str(token)
