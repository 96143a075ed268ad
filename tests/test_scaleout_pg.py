"""Scale-out on one PostgreSQL: two `paperwire web` and two `paperwire worker` processes.

The workers race for the daily jobs (each must run once: one harvest of the arXiv
server, one row per job run), members sign up on one web process and vote through
both at once, and every count stays exact.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import PgServer, bin_path, cli_env, free_port

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple 42"
MEMBERS = 6
PAPERS = 40
VOTED = 5  # papers every member upvotes


def oai_page(day: dt.date) -> bytes:
    """One complete OAI-PMH ListRecords page (no resumption token) of new papers."""
    stamp = day.strftime("%a, %d %b %Y 10:00:00 GMT")
    records = "".join(
        f"<record><header><identifier>oai:arXiv.org:2402.{n:05d}</identifier>"
        f"<datestamp>{day.isoformat()}</datestamp><setSpec>cs</setSpec></header><metadata>"
        f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2402.{n:05d}</id>'
        f'<version version="v1"><date>{stamp}</date></version>'
        f"<title>Scale-out paper number {n}</title>"
        f"<authors>Author {n % 7} (Lab {n % 3}) and Coauthor {n % 5}</authors>"
        f"<categories>cs.CL</categories><abstract>Abstract of paper {n}.</abstract>"
        f"</arXivRaw></metadata></record>"
        for n in range(1, PAPERS + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2024-02-01T00:00:00Z</responseDate>"
        f'<request verb="ListRecords">oai</request><ListRecords>{records}'
        "</ListRecords></OAI-PMH>"
    ).encode()


class FakeOai:
    def __init__(self, body: bytes) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Inbox:
    """aiosmtpd in this process: every message the web processes send."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.port = free_port()
        inbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                with inbox.lock:
                    inbox.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def link_for(self, email: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for msg in self.messages:
                    if email in (msg.get("To") or ""):
                        part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
                        body = part.get_payload(decode=True).decode()  # type: ignore[union-attr]
                        found = re.search(r"https?://\S+/verify/\S+", body)
                        assert found, body
                        return found.group(0)
            time.sleep(0.1)
        raise AssertionError(f"no mail to {email}")


@pytest.fixture
def scaleout_db(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    name = pg_server.clone(f"scaleout_{os.getpid()}", pg_template)
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop(name)


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [bin_path("paperwire"), *argv],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_until(check: Any, what: str, logs: list[Path], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    text = "\n\n".join(f"== {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out waiting for {what}\n{text}")


def sql(url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query.encode(), params or None).fetchall()


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_two_web_and_two_worker_processes_on_one_postgresql(
    scaleout_db: str, tmp_path: Path
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    arxiv = FakeOai(oai_page(today))
    inbox = Inbox()
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    common = {
        "PAPERWIRE_DATABASE_URL": scaleout_db,
        "PAPERWIRE_SITE_URL": urls[0],
        "PAPERWIRE_EMAIL_HOST": "127.0.0.1",
        "PAPERWIRE_EMAIL_PORT": str(inbox.port),
        "PAPERWIRE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "PAPERWIRE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The daily jobs are due at once; the workers do not embed (no model needed here).
        "PAPERWIRE_INGEST_CATEGORIES": "cs.CL",
        "PAPERWIRE_INGEST_HOUR": "0",
        "PAPERWIRE_DIGEST_HOUR": "0",
        "PAPERWIRE_ARXIV_OAI_URL": arxiv.url,
        "PAPERWIRE_ARXIV_DELAY": "0",
        "PAPERWIRE_EMBED_AFTER_INGEST": "0",
    }
    logs: list[Path] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for i, port in enumerate(ports):
            log = tmp_path / f"web{i}.log"
            logs.append(log)
            env = cli_env(tmp_path / f"web{i}", **common)
            argv = ["web", "--port", str(port), "--workers", "1"]
            processes.append(start(argv, env, log))
        for i in range(2):
            log = tmp_path / f"worker{i}.log"
            logs.append(log)
            env = cli_env(tmp_path / f"worker{i}", **common)
            processes.append(start(["worker", "--poll", "1"], env, log))

        def answering() -> bool:
            for url in urls:
                try:
                    if httpx.get(url + "/about", timeout=5).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        wait_until(answering, "both web processes", logs)

        # The daily jobs: both workers poll every second; each job runs exactly once.
        def jobs_done() -> bool:
            rows = sql(scaleout_db, "SELECT name, status FROM ingest_scheduledrun")
            return len(rows) == 2 and all(status in ("ok", "failed") for _, status in rows)

        wait_until(jobs_done, "the daily jobs", logs)
        time.sleep(3)  # a few more polls of both workers: nothing runs twice
        runs = dict(sql(scaleout_db, "SELECT name, status FROM ingest_scheduledrun"))
        assert runs == {"ingest-arxiv": "ok", "send-digests": "ok"}
        assert len(arxiv.requests) == 1, arxiv.requests  # one harvest, by one worker
        assert sql(scaleout_db, "SELECT count(*) FROM papers_paper") == [(PAPERS,)]
        assert sql(
            scaleout_db, "SELECT count(*) FROM papers_feedentry WHERE feed_date = %s", today
        ) == [(PAPERS,)]

        # Members sign up on web 0 (the mailed link points there), then use both.
        members: list[tuple[httpx.Client, httpx.Client]] = []
        for n in range(MEMBERS):
            first = httpx.Client(base_url=urls[0], timeout=30)
            name, email = f"member{n}", f"member{n}@example.org"
            data = {"username": name, "email": email, "password": PASSWORD}
            token = csrf(first, "/signup")
            reply = first.post("/signup", data={**data, "csrfmiddlewaretoken": token})
            assert reply.status_code == 302, reply.text[:500]
            assert first.get(inbox.link_for(email)).status_code == 200
            login = {"username": name, "password": PASSWORD}
            token = csrf(first, "/login")
            reply = first.post("/login", data={**login, "csrfmiddlewaretoken": token})
            assert reply.status_code == 302, reply.text[:500]
            # The session lives in the database: the other web process knows it.
            second = httpx.Client(base_url=urls[1], timeout=30, cookies=first.cookies)
            assert name in second.get("/settings").text
            members.append((first, second))

        ids = [f"2402.{n:05d}" for n in range(1, VOTED + 1)]
        tokens = [csrf(first, f"/papers/{ids[0]}") for first, _ in members]

        def vote(job: tuple[int, int, str, str]) -> int:
            member, side, pid, value = job
            client = members[member][side]
            data = {"vote": value, "csrfmiddlewaretoken": tokens[member]}
            return client.post(f"/papers/{pid}/upvote", data=data).status_code

        # Every member upvotes every chosen paper through both web processes at once,
        # several times over: one vote each, whatever the interleaving.
        jobs = [(m, s, pid, "1") for m in range(MEMBERS) for s in (0, 1) for pid in ids] * 2
        with ThreadPoolExecutor(max_workers=24) as pool:
            assert set(pool.map(vote, jobs)) == {302}
        # Then the odd members take their vote back on the first paper, through web 1.
        undo = [(m, 1, ids[0], "0") for m in range(1, MEMBERS, 2)] * 3
        with ThreadPoolExecutor(max_workers=12) as pool:
            assert set(pool.map(vote, undo)) == {302}

        counts = sql(
            scaleout_db,
            "SELECT p.public_id, f.upvotes, (SELECT count(*) FROM community_upvote u "
            "WHERE u.paper_id = p.id) FROM papers_paper p JOIN papers_feedentry f "
            "ON f.paper_id = p.id WHERE p.public_id = ANY(%s) ORDER BY p.public_id",
            ids,
        )
        expected = [(ids[0], MEMBERS // 2, MEMBERS // 2)]
        expected += [(pid, MEMBERS, MEMBERS) for pid in ids[1:]]
        assert counts == expected
        # Both web processes answer with the same, current counts.
        for url in urls:
            item = httpx.get(f"{url}/api/papers/{ids[1]}", timeout=10).json()
            assert item["upvotes"] == MEMBERS
        for process in processes:
            assert process.poll() is None, "a process died"
    finally:
        stop(processes)
        inbox.controller.stop()
        arxiv.server.shutdown()
