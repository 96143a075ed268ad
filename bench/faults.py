"""Fault runs: `kill -9` of the web server, the worker and the digest sender while
members write, then a restart; nothing acknowledged may be lost, no mail sent twice.

    .venv/bin/python bench/faults.py [--quick] [--runs 20] [--only web,worker,digest]

Each target gets its own data directory (demo papers, 48 members logged in over HTTP)
and its own SMTP server (aiosmtpd, in this process, 20 ms a message as a busy server
takes) that records every message it accepts, with its Message-ID. During every run 8
client threads write through HTTP as real browsers do (session cookie and CSRF token):
upvotes of papers they had not upvoted, comments with a unique text, and subscriptions
of new addresses from a new client address each (127.x.y.z: the per-address limits
hold for real clients). Then:

- web: `paperwire serve` (granian, 2 workers, its worker) is killed with SIGKILL at a
  random moment 1-6 s into the run, in turn: one granian worker (granian starts
  another), the granian main process, the `serve` process (its children get SIGTERM
  from the kernel), or the whole process group at once. Whatever died is started again.
- worker: a `paperwire worker --poll 1` beside `serve --no-worker` runs a new day's
  jobs each run: the daily ingest from a local OAI-PMH server (6 pages of 100 new
  records, 0.4 s apart) and the daily digests of 150 new subscribers. It is killed at a
  random moment within the time such a day took in a first run without a kill (members
  writing meanwhile too), and started again at once.
- digest: `paperwire digest send --period daily:2026-02-03` for 150 new subscribers
  beside `serve` (whose worker also sends what is due), killed at a random moment
  between half the time a first sender took to start composing and the time it took to
  finish (so mostly while it composes or sends), then run again until it finishes.

After each run the writers stop and the system gets up to two minutes to deliver what
its outbox holds; then the run is checked: every write the client got a 2xx/3xx for is
in the database (all runs so far, not only this one), counters match their rows,
`PRAGMA integrity_check` says ok, and every mail was delivered once. A mail delivered
twice with the same Message-ID (a kill between the SMTP server's acceptance and the
commit that marks it sent) is counted apart from duplicates with distinct Message-IDs.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import itertools
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "faults.md"
BIN = Path(sys.executable).parent
PASSWORD = "fault-run passphrase 7"
DIGEST_PERIOD = "daily:2026-02-03"
WEB_KILLS = ["granian worker", "granian main", "serve", "process group"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


# ---------------------------------------------------------------- the mail server


@dataclass
class Delivery:
    message_id: str
    to: str
    subject: str


class Sink:
    """An SMTP server that keeps every message it accepts; it takes `delay` seconds per
    message, as a busy server does, so kills land mid-conversation too."""

    def __init__(self, delay: float) -> None:
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.deliveries.append(
                    Delivery(
                        str(headers.get("Message-ID", "")).strip(),
                        rcpt.lower(),
                        str(headers.get("Subject", "")),
                    )
                )
        await asyncio.sleep(self.delay)
        return "250 OK"

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)


# ---------------------------------------------------------------- a local arXiv


class FakeOai:
    """OAI-PMH ListRecords pages of new records: block `run` of the harness, `pages`
    pages of `per_page` records, resumption tokens naming the block and the page."""

    def __init__(self, pages: int, per_page: int) -> None:
        self.pages, self.per_page, self.run = pages, per_page, 0
        oai = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                params = dict(parse_qsl(urlsplit(self.path).query))
                token = params.get("resumptionToken", "")
                run, page = (int(x) for x in token[1:].split("p")) if token else (oai.run, 0)
                body = oai.page(run, page)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"

    def arxiv_id(self, n: int) -> str:
        return f"2402.{n:05d}"

    def ids(self, run: int) -> list[str]:
        first = run * self.pages * self.per_page
        return [self.arxiv_id(n) for n in range(first, first + self.pages * self.per_page)]

    def page(self, run: int, page: int) -> bytes:
        first = (run * self.pages + page) * self.per_page
        records = "".join(self.record(n) for n in range(first, first + self.per_page))
        token = f"r{run}p{page + 1}" if page + 1 < self.pages else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<responseDate>2024-02-03T00:00:00Z</responseDate>"
            '<request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>'
            f'{records}<resumptionToken cursor="{page * self.per_page}" '
            f'completeListSize="{self.pages * self.per_page}">{token}</resumptionToken>'
            "</ListRecords></OAI-PMH>"
        ).encode()

    def record(self, n: int) -> str:
        pid = self.arxiv_id(n)
        return (
            f"<record><header><identifier>oai:arXiv.org:{pid}</identifier>"
            f"<datestamp>2024-02-02</datestamp><setSpec>cs</setSpec></header><metadata>"
            f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{pid}</id>'
            f'<submitter>A</submitter><version version="v1"><date>Thu, 1 Feb 2024 '
            f"10:00:00 GMT</date><size>1kb</size></version>"
            f"<title>Fault-run paper {n} on sparse attention</title>"
            f"<authors>Ada Author{n % 97}, Bo Writer{n % 89}</authors>"
            f"<categories>cs.CL cs.LG</categories>"
            f"<abstract>We study problem {n} of attention. " + "Text " * 60 + "</abstract>"
            "</arXivRaw></metadata></record>"
        )


# ---------------------------------------------------------------- one site


class Site:
    """One data directory and the paperwire processes running on it."""

    def __init__(self, name: str, root: Path, sink: Sink, extra_env: dict[str, str]) -> None:
        self.name = name
        self.data_dir = root / name
        self.data_dir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env = {
            **env,
            "PAPERWIRE_DATA_DIR": str(self.data_dir),
            "PAPERWIRE_SECRET_KEY": "fault-runs-not-a-secret",
            "PAPERWIRE_SITE_URL": self.url,
            "PAPERWIRE_EMAIL_HOST": "127.0.0.1",
            "PAPERWIRE_EMAIL_PORT": str(sink.port),
            # The worker would embed every new paper: minutes of CPU on two cores.
            "PAPERWIRE_EMBED_AFTER_INGEST": "0",
            **extra_env,
        }
        self.serve: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.db_path = self.data_dir / "paperwire.sqlite3"

    def cli(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [str(BIN / "paperwire"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"paperwire {' '.join(args)[:80]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def shell(self, code: str) -> str:
        return self.cli("shell", "-c", code)

    def _log(self, name: str) -> Any:
        return open(self.data_dir / f"{name}.log", "ab")

    def start_serve(self, worker: bool = True) -> float:
        """Start `paperwire serve` (in its own process group); seconds until it answers."""
        started = time.monotonic()
        args = ["serve", "--port", str(self.port)] + ([] if worker else ["--no-worker"])
        with self._log("serve") as out:
            self.serve = subprocess.Popen(
                [str(BIN / "paperwire"), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while time.monotonic() - started < 180:
            if self.serve.poll() is not None:
                raise SystemExit(f"{self.name}: serve exited with {self.serve.returncode}")
            try:
                if httpx.get(self.url + "/about", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name}: serve did not answer within 180 s")

    def start_worker(self) -> None:
        with self._log("worker") as out:
            self.worker = subprocess.Popen(
                [str(BIN / "paperwire"), "worker", "--poll", "1"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def processes(self) -> list[int]:
        """Every live process running on this data directory (by its environment)."""
        mine = f"PAPERWIRE_DATA_DIR={self.data_dir}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if mine in environ.split(b"\0") and state != "Z":
                found.append(int(entry.name))
        return found

    def granian(self) -> tuple[int | None, list[int]]:
        """(granian's main process, its workers)."""
        if self.serve is None:
            return None, []
        parents = {pid: _ppid(pid) for pid in self.processes()}
        main = next(
            (p for p, pp in parents.items() if pp == self.serve.pid and "granian" in _cmd(p)),
            None,
        )
        return main, sorted(p for p, pp in parents.items() if main and pp == main)

    def stop(self) -> None:
        for proc in (self.worker, self.serve):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=40)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        for pid in self.processes():
            _kill(pid, signal.SIGKILL)

    def db(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db_path, timeout=30)
        con.execute("PRAGMA busy_timeout = 30000")
        return con

    def scalar(self, sql: str, *params: Any) -> Any:
        with self.db() as con:
            return con.execute(sql, params).fetchone()[0]


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- members writing


@dataclass
class Attempt:
    run: int
    kind: str  # upvote, comment, subscribe
    key: str  # "user|paper", the comment's text, the address
    status: int | None  # None: no answer (connection refused or cut)

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


class Writers:
    """Client threads writing through HTTP, each for its own members."""

    def __init__(self, site: Site, users: list[str], papers: list[str], threads: int) -> None:
        self.site, self.papers, self.threads = site, papers, threads
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.run = 0
        self.addresses = itertools.count(1)
        self.clients: dict[str, httpx.Client] = {}
        self.todo: dict[str, list[str]] = {}
        self.next_comment: dict[str, float] = {}
        rng = random.Random(7)
        for i, user in enumerate(users):
            self.clients[user] = self._login(user, f"127.1.{i // 250}.{i % 250 + 1}")
            todo = list(papers)
            rng.shuffle(todo)
            self.todo[user] = todo
            self.next_comment[user] = 0.0
        self.mine = [users[i :: self.threads] for i in range(self.threads)]
        self.pool: list[threading.Thread] = []

    def _client(self, address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=self.site.url, transport=transport, timeout=30)

    def _login(self, user: str, address: str) -> httpx.Client:
        client = self._client(address)
        client.get("/login").raise_for_status()
        token = client.cookies["csrftoken"]
        form = {"username": user, "password": PASSWORD, "csrfmiddlewaretoken": token}
        answer = client.post("/login", data=form)
        if answer.status_code != 302:
            raise SystemExit(f"login of {user} answered {answer.status_code}")
        return client

    def start(self, run: int) -> None:
        self.run = run
        self.stop_event.clear()
        self.pool = [
            threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(self.threads)
        ]
        for thread in self.pool:
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.pool:
            thread.join(timeout=60)

    def _loop(self, slot: int) -> None:
        rng = random.Random(slot * 1000 + self.run)
        users = self.mine[slot]
        while not self.stop_event.is_set():
            user = rng.choice(users)
            roll = rng.random()
            if roll < 0.15:
                attempt = self._subscribe()
            elif roll < 0.35 and time.monotonic() >= self.next_comment[user]:
                # A member's limit is 30 comments in 10 minutes: one per 25 s stays below.
                self.next_comment[user] = time.monotonic() + 25
                attempt = self._comment(user, rng)
            elif self.todo[user]:
                attempt = self._upvote(user)
            else:
                time.sleep(0.02)
                continue
            with self.lock:
                self.attempts.append(attempt)
            if attempt.status is None:
                time.sleep(0.2)  # the server is down: as a browser's user would, wait
            else:
                time.sleep(0.02)

    def _post(self, client: httpx.Client, path: str, data: dict[str, str]) -> int | None:
        token = client.cookies.get("csrftoken") or ""
        try:
            return client.post(path, data={**data, "csrfmiddlewaretoken": token}).status_code
        except httpx.HTTPError:
            return None

    def _upvote(self, user: str) -> Attempt:
        paper = self.todo[user].pop()
        status = self._post(self.clients[user], f"/papers/{paper}/upvote", {"vote": "1"})
        return Attempt(self.run, "upvote", f"{user}|{paper}", status)

    def _comment(self, user: str, rng: random.Random) -> Attempt:
        paper = rng.choice(self.papers)
        text = f"Fault-run comment {uuid.uuid4().hex} by {user}."
        status = self._post(self.clients[user], f"/papers/{paper}/comments", {"body": text})
        return Attempt(self.run, "comment", text, status)

    def _subscribe(self) -> Attempt:
        n = next(self.addresses)
        address = f"127.2.{n // 250 % 250}.{n % 250 + 1}"
        email_address = f"fault-{self.site.name}-{n}@example.org"
        status: int | None = None
        try:
            with self._client(address) as client:
                client.get("/subscribe").raise_for_status()
                status = self._post(
                    client, "/subscribe", {"email": email_address, "frequency": "daily"}
                )
        except httpx.HTTPError:
            pass
        return Attempt(self.run, "subscribe", email_address, status)

    def acked(self) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.acked]


# ---------------------------------------------------------------- checking a run

COUNTER_OFFSETS = (
    "SELECT e.paper_id, e.upvotes - (SELECT count(*) FROM community_upvote v "
    "WHERE v.paper_id = e.paper_id), e.num_comments - (SELECT count(*) FROM community_comment c "
    "WHERE c.paper_id = e.paper_id AND c.deleted = 0 AND c.hidden = 0) FROM papers_feedentry e"
)


def counter_offsets(site: Site) -> dict[int, tuple[int, int]]:
    """Per paper: its upvote and comment counters minus its rows (the demo papers come
    with counts but no rows); a write that moved one but not the other changes this."""
    with site.db() as con:
        return {pid: (up, com) for pid, up, com in con.execute(COUNTER_OFFSETS)}


@dataclass
class Check:
    lost: list[str] = field(default_factory=list)
    integrity: str = ""
    drift: int = 0
    mails: int = 0
    redelivered: int = 0
    duplicates: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    unknown: int = 0


def check(site: Site, writers: Writers, sink: Sink, offsets: dict[int, tuple[int, int]]) -> Check:
    """Everything acknowledged so far is stored; counters match rows; the file is sound;
    each mail of the outbox was delivered, once."""
    result = Check()
    acked = writers.acked()
    with site.db() as con:
        result.integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            result.integrity += f"; {len(broken)} foreign key violations"
        votes = {
            f"{u}|{p}"
            for u, p in con.execute(
                "SELECT u.username, p.public_id FROM community_upvote v "
                "JOIN auth_user u ON u.id = v.user_id JOIN papers_paper p ON p.id = v.paper_id"
            )
        }
        comments = {b for (b,) in con.execute("SELECT body FROM community_comment")}
        subs = {e for (e,) in con.execute("SELECT email FROM digests_subscription")}
        confirmations = {
            e for (e,) in con.execute("SELECT to_email FROM mail_mail WHERE kind = 'subscribe'")
        }
        stored = {"upvote": votes, "comment": comments, "subscribe": subs & confirmations}
        result.lost = [
            f"run {a.run} {a.kind} {a.key}" for a in acked if a.key not in stored[a.kind]
        ]
        now = {pid: (up, com) for pid, up, com in con.execute(COUNTER_OFFSETS)}
        result.drift = sum(1 for pid, value in now.items() if offsets.get(pid, value) != value)
        # Every outbox row: account mail (its kind) and digests (their period).
        rows = {
            mid: (to, what, status)
            for mid, to, what, status in con.execute(
                "SELECT message_id, to_email, kind, status FROM mail_mail UNION ALL "
                "SELECT message_id, to_email, period, status FROM digests_digestmessage "
                "WHERE status != 'empty'"
            )
        }
    delivered = sink.snapshot()
    per_id = Counter(d.message_id for d in delivered)
    result.mails = len(per_id)
    result.redelivered = sum(n - 1 for n in per_id.values())
    result.unknown = sum(1 for mid in per_id if mid not in rows)
    # One logical mail: a subscription mail to an address (each is subscribed once), or
    # one period's digest to an address. Two Message-IDs for one of them is a duplicate.
    logical: dict[tuple[str, str], set[str]] = {}
    for d in delivered:
        to, what, _ = rows.get(d.message_id, (d.to, d.subject, ""))
        logical.setdefault((to.lower(), what), set()).add(d.message_id)
    result.duplicates = [
        f"{to} {what}: {len(ids)}" for (to, what), ids in logical.items() if len(ids) > 1
    ]
    result.undelivered = [
        f"{to} {what} ({status})" for mid, (to, what, status) in rows.items() if mid not in per_id
    ]
    return result


def outbox_busy(site: Site) -> int:
    return int(
        site.scalar(
            "SELECT (SELECT count(*) FROM mail_mail WHERE status IN ('queued', 'sending')) + "
            "(SELECT count(*) FROM digests_digestmessage WHERE status IN ('queued', 'sending'))"
        )
    )


def wait_for(condition: Any, timeout: float, every: float = 0.5) -> float | None:
    """Seconds until condition() held, or None if it did not within timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except sqlite3.Error:
            pass
        time.sleep(every)
    return None


# ---------------------------------------------------------------- the runs


@dataclass
class Run:
    target: str
    run: int
    killed: str
    at: float  # seconds after the run started
    phase: str  # what the killed process was doing
    restart_s: float | None
    recovered_s: float | None
    leftover: int  # processes of the killed server still alive 30 s later
    acked: Counter[str]
    unanswered: int
    check: Check
    refused: Counter[int] = field(default_factory=Counter)  # 4xx and 5xx answers by code


def setup_site(name: str, root: Path, sink: Sink, env: dict[str, str], members: int) -> Site:
    site = Site(name, root, sink, env)
    site.cli("migrate")
    site.cli("load-demo")
    site.shell(
        "from django.contrib.auth.models import User\n"
        "from paperwire.community.models import Profile\n"
        f"for i in range({members}):\n"
        f"    u = User.objects.create_user(\n"
        f"        f'member{{i}}', f'member{{i}}@example.org', {PASSWORD!r})\n"
        "    Profile.objects.update_or_create(user=u, defaults={'email_verified': True})\n"
    )
    return site


def add_subscribers(site: Site, prefix: str, count: int, extra: str = "") -> None:
    site.shell(
        "from paperwire.digests.models import Subscription as S\n"
        f"S.objects.bulk_create([S(email=f'{prefix}-{{i}}@example.org', status='active', "
        f"frequency='daily') for i in range({count})])\n" + extra
    )


def start_writers(site: Site, members: int, threads: int) -> Writers:
    with site.db() as con:
        papers = [
            pid
            for (pid,) in con.execute(
                "SELECT p.public_id FROM papers_paper p JOIN papers_feedentry e "
                "ON e.paper_id = p.id WHERE p.hidden = 0 ORDER BY p.id"
            )
        ]
    return Writers(site, [f"member{i}" for i in range(members)], papers, threads)


def finish_run(
    site: Site,
    writers: Writers,
    sink: Sink,
    offsets: dict[int, tuple[int, int]],
    run: Run,
    done: Any = lambda: True,
) -> Run:
    """Writers stop; the system gets two minutes to deliver what it holds; then check."""
    writers.stop()
    run.recovered_s = wait_for(lambda: done() and outbox_busy(site) == 0, 120)
    attempts = [a for a in writers.attempts if a.run == run.run]
    run.acked = Counter(a.kind for a in attempts if a.acked)
    run.unanswered = sum(1 for a in attempts if a.status is None)
    run.refused = Counter(a.status for a in attempts if a.status is not None and a.status >= 400)
    run.check = check(site, writers, sink, offsets)
    c = run.check
    log(
        f"  {run.target} #{run.run}: killed {run.killed} at {run.at:.1f} s ({run.phase}); "
        f"acked {sum(run.acked.values())}, no answer {run.unanswered}, refused "
        f"{dict(run.refused)}; lost {len(c.lost)}, "
        f"integrity {c.integrity}, drift {c.drift}, mails {c.mails} (again {c.redelivered}, "
        f"duplicates {len(c.duplicates)}, undelivered {len(c.undelivered)}); recovered in "
        f"{run.recovered_s if run.recovered_s is None else round(run.recovered_s, 1)} s"
    )
    return run


def wait_gone(site: Site, timeout: float = 30) -> int:
    """Wait for the killed server's processes to end; kill and count those that stay."""
    wait_for(lambda: not site.processes(), timeout, every=0.2)
    stayed = site.processes()
    for pid in stayed:
        _kill(pid, signal.SIGKILL)
    wait_for(lambda: not site.processes(), 10, every=0.2)
    return len(stayed)


def web_target(root: Path, sink: Sink, args: argparse.Namespace) -> list[Run]:
    site = setup_site("web", root, sink, {}, args.members)
    rng = random.Random(args.seed)
    runs: list[Run] = []
    try:
        site.start_serve()
        writers = start_writers(site, args.members, args.threads)
        offsets = counter_offsets(site)
        for n in range(args.runs):
            mode = WEB_KILLS[n % len(WEB_KILLS)]
            writers.start(n)
            at = rng.uniform(1.0, 6.0)
            time.sleep(at)
            assert site.serve is not None
            main, workers = site.granian()
            run = Run("web", n, mode, at, "writes", None, None, 0, Counter(), 0, Check())
            if mode == "granian worker" and workers:
                victim, want = rng.choice(workers), len(workers)
                _kill(victim, signal.SIGKILL)
                # granian starts a new worker in its place
                run.restart_s = wait_for(
                    lambda victim=victim, want=want: (
                        victim not in site.granian()[1] and len(site.granian()[1]) == want
                    ),
                    60,
                    every=0.1,
                )
            else:
                if mode == "process group":
                    os.killpg(site.serve.pid, signal.SIGKILL)
                else:
                    _kill(main if mode == "granian main" and main else site.serve.pid, 9)
                run.leftover = wait_gone(site)
                site.serve.wait()
                run.restart_s = site.start_serve()
            time.sleep(2)  # members go on writing to the restarted server
            runs.append(finish_run(site, writers, sink, offsets, run))
    finally:
        site.stop()
    return runs


def worker_phase(site: Site, n: int, oai: FakeOai) -> str:
    with site.db() as con:
        jobs = dict(con.execute("SELECT name, status FROM ingest_scheduledrun"))
        ids = oai.ids(n)
        stored = con.execute(
            f"SELECT count(*) FROM papers_paper WHERE arxiv_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchone()[0]
    sent = cohort_digests(site, f"worker-{n}")
    running = [name for name, status in jobs.items() if status in ("running", "queued")]
    return (
        f"{'+'.join(running) or 'idle'}: {stored} of {len(ids)} papers stored, "
        f"{sum(sent.values())} digests composed, {sent['sent']} sent"
    )


NEW_DAY = (
    "import datetime as dt\n"
    "from django.utils import timezone\n"
    "from paperwire.ingest.models import ScheduledRun\n"
    "ScheduledRun.objects.exclude(status__in=['running', 'queued']).update("
    "last_date=timezone.now().date() - dt.timedelta(days=1), retry_at=None)\n"
)


def worker_target(root: Path, sink: Sink, args: argparse.Namespace) -> list[Run]:
    oai = FakeOai(pages=6, per_page=100)
    env = {
        "PAPERWIRE_INGEST_CATEGORIES": "cs.CL",
        "PAPERWIRE_INGEST_SOURCE": "oai",
        "PAPERWIRE_ARXIV_OAI_URL": oai.url,
        "PAPERWIRE_ARXIV_DELAY": "0.4",
        "PAPERWIRE_INGEST_HOUR": "0",
        "PAPERWIRE_DIGEST_HOUR": "0",
    }
    site = setup_site("worker", root, sink, env, args.members)
    rng = random.Random(args.seed + 1)
    runs: list[Run] = []

    def day_done(n: int) -> Any:
        ids = oai.ids(n)

        def done() -> bool:
            with site.db() as con:
                busy = con.execute(
                    "SELECT count(*) FROM ingest_scheduledrun WHERE status NOT IN ('ok', 'failed')"
                ).fetchone()[0]
                marks = ",".join("?" * len(ids))
                stored = con.execute(
                    f"SELECT count(*) FROM papers_paper WHERE arxiv_id IN ({marks})", ids
                ).fetchone()[0]
                waiting = con.execute(
                    "SELECT count(*) FROM digests_subscription s WHERE s.email LIKE ? AND NOT "
                    "EXISTS (SELECT 1 FROM digests_digestmessage d WHERE d.subscription_id = s.id "
                    "AND d.status IN ('sent', 'empty'))",
                    (f"worker-{n}-%" if n else "worker-cal-%",),
                ).fetchone()[0]
            return busy == 0 and stored == len(ids) and waiting == 0

        return done

    try:
        site.start_serve(worker=False)
        writers = start_writers(site, args.members, args.threads)
        offsets = counter_offsets(site)
        # One day without a kill, members writing as in every run: how long it takes.
        add_subscribers(site, "worker-cal", args.cohort)
        oai.run = 0
        writers.start(0)
        site.start_worker()
        took = wait_for(day_done(0), 300) or 30.0
        writers.stop()
        log(f"worker: a day's jobs took {took:.1f} s without a kill")
        for n in range(1, args.runs + 1):
            oai.run = n
            add_subscribers(site, f"worker-{n}", args.cohort, NEW_DAY)
            writers.start(n)
            at = rng.uniform(0.2, took)
            time.sleep(at)
            assert site.worker is not None
            phase = worker_phase(site, n, oai)
            _kill(site.worker.pid, signal.SIGKILL)
            site.worker.wait()
            # Its parse-ahead process must go too (it reads from the dead worker's pipe).
            started = time.monotonic()
            leftover = 0
            if wait_for(lambda: len(site.processes()) <= _serve_count(site), 10) is None:
                leftover = len(site.processes()) - _serve_count(site)
            site.start_worker()
            run = Run("worker", n, "worker", at, phase, time.monotonic() - started, None,
                      leftover, Counter(), 0, Check())  # fmt: skip
            runs.append(finish_run(site, writers, sink, offsets, run, day_done(n)))
    finally:
        site.stop()
    return runs


def _serve_count(site: Site) -> int:
    """Processes of `serve --no-worker`: serve, granian and its workers."""
    main, workers = site.granian()
    return 1 + (main is not None) + len(workers)


def cohort_digests(site: Site, prefix: str) -> Counter[str]:
    """The digests of one cohort of subscribers, by status."""
    with site.db() as con:
        return Counter(
            dict(
                con.execute(
                    "SELECT d.status, count(*) FROM digests_digestmessage d JOIN "
                    "digests_subscription s ON s.id = d.subscription_id WHERE s.email LIKE ? "
                    "GROUP BY d.status",
                    (f"{prefix}-%",),
                )
            )
        )


def digest_phase(site: Site, prefix: str, cohort: int) -> str:
    counts = cohort_digests(site, prefix)
    composed = sum(counts.values())
    if not composed:  # it inserts a cohort's digests together, once they are composed
        return "starting or composing (none in the outbox yet)"
    if composed < cohort:
        return f"composing ({composed} of {cohort})"
    return f"sending ({counts['sent']} of {cohort} sent)"


def digest_target(root: Path, sink: Sink, args: argparse.Namespace) -> list[Run]:
    site = setup_site("digest", root, sink, {}, args.members)
    rng = random.Random(args.seed + 2)
    runs: list[Run] = []
    send = [str(BIN / "paperwire"), "digest", "send", "--period", DIGEST_PERIOD]

    def cohort_done(n: int) -> Any:
        def done() -> bool:
            left = site.scalar(
                "SELECT count(*) FROM digests_subscription s WHERE s.email LIKE ? AND NOT "
                "EXISTS (SELECT 1 FROM digests_digestmessage d WHERE d.subscription_id = s.id "
                "AND d.period = ? AND d.status IN ('sent', 'empty'))",
                f"digest-{n}-%",
                DIGEST_PERIOD,
            )
            return left == 0

        return done

    try:
        site.start_serve()
        writers = start_writers(site, args.members, args.threads)
        offsets = counter_offsets(site)
        add_subscribers(site, "digest-cal", args.cohort)
        # Once without a kill, members writing as in every run: when the sender starts
        # composing, and when it is done.
        writers.start(0)
        started = time.monotonic()
        sender = subprocess.Popen(send, env=site.env, stdout=subprocess.DEVNULL)
        first = wait_for(lambda: cohort_digests(site, "digest-cal"), 300, every=0.05) or 0.0
        if sender.wait(timeout=600):
            raise SystemExit(f"digest send exited with {sender.returncode}")
        took = time.monotonic() - started
        writers.stop()
        log(
            f"digest: sending {args.cohort} digests took {took:.1f} s without a kill, "
            f"composing from {first:.1f} s"
        )
        n = 0
        while len(runs) < args.runs:
            n += 1
            add_subscribers(site, f"digest-{n}", args.cohort)
            writers.start(n)
            started = time.monotonic()
            sender = subprocess.Popen(
                send, env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # Mostly while it composes and sends; some kills still land in its start-up.
            at = rng.uniform(0.5 * first, took)
            try:
                sender.wait(timeout=at)
            except subprocess.TimeoutExpired:
                pass
            if sender.poll() is not None:  # it finished first: no fault in this run
                took = time.monotonic() - started
                writers.stop()
                log(f"  digest #{n}: the sender finished before the kill; {took:.1f} s now")
                continue
            phase = digest_phase(site, f"digest-{n}", args.cohort)
            _kill(sender.pid, signal.SIGKILL)
            sender.wait()
            restarted = time.monotonic()
            again = subprocess.run(send, env=site.env, capture_output=True, timeout=600)
            run = Run("digest", n, "digest send", at, phase, time.monotonic() - restarted, None,
                      0, Counter(), 0, Check())  # fmt: skip
            if again.returncode:
                run.phase += f"; the second run exited {again.returncode}"
            runs.append(finish_run(site, writers, sink, offsets, run, cohort_done(n)))
    finally:
        site.stop()
    return runs


# ---------------------------------------------------------------- report


def summary_rows(name: str, runs: list[Run]) -> str:
    if not runs:
        return ""
    last = runs[-1].check
    acked: Counter[str] = Counter()
    for r in runs:
        acked.update(r.acked)
    integrity = Counter(r.check.integrity for r in runs)
    recovered = sorted(r.recovered_s for r in runs if r.recovered_s is not None)
    stuck = sum(1 for r in runs if r.recovered_s is None)
    restart = sorted(r.restart_s for r in runs if r.restart_s is not None)
    median = recovered[len(recovered) // 2] if recovered else float("nan")
    return (
        f"| {name} | {len(runs)} | {acked['upvote']} / {acked['comment']} / "
        f"{acked['subscribe']} | **{len(last.lost)}** | {sum(r.unanswered for r in runs)} | "
        f"{sum(n for r in runs for code, n in r.refused.items() if code >= 500)} | "
        f"{last.mails} | {last.redelivered} | **{len(last.duplicates)}** | "
        f"{len(last.undelivered)} | "
        + ", ".join(f"{n} x {v}" for v, n in integrity.items())
        + f" | {max(r.check.drift for r in runs)} | {sum(r.leftover for r in runs)} | "
        f"{max(restart) if restart else float('nan'):.1f} | {median:.1f} / "
        f"{recovered[-1] if recovered else float('nan'):.1f}"
        + (f" ({stuck} not within 120 s)" if stuck else "")
        + " |"
    )


def report(results: dict[str, list[Run]], args: argparse.Namespace) -> str:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(args.started))} to "
        f"{time.strftime('%H:%M UTC')}, commit {args.commit}, on {machine()}; 1-minute load "
        f"average {args.load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        f"Command: `{args.command}`.",
        "",
        "| killed | runs | acked writes (upvotes / comments / subscriptions) | acked writes "
        "lost | requests without answer | 5xx | mails delivered | same Message-ID again | "
        "duplicates, distinct Message-IDs | outbox rows not delivered | integrity_check | "
        "counter drift | processes left behind | restart s (max) | recovery s (median / max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: "
        "| ---: | ---: |",
    ]
    names = {"web": "web server", "worker": "worker", "digest": "digest sender"}
    lines += [summary_rows(names[t], runs) for t, runs in results.items() if runs]
    lines += [
        "",
        "Each run:",
        "",
        "| target | # | killed | at s | doing | acked | no answer | 4xx/5xx | lost | again | dup | "
        "restart s | recovery s |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for runs in results.values():
        for r in runs:
            lines.append(
                f"| {r.target} | {r.run} | {r.killed} | {r.at:.1f} | {r.phase} | "
                f"{sum(r.acked.values())} | {r.unanswered} | "
                f"{', '.join(f'{n} x {c}' for c, n in sorted(r.refused.items())) or '0'} | "
                f"{len(r.check.lost)} | "
                f"{r.check.redelivered} | {len(r.check.duplicates)} | "
                f"{'-' if r.restart_s is None else f'{r.restart_s:.1f}'} | "
                f"{'-' if r.recovered_s is None else f'{r.recovered_s:.1f}'} |"
            )
    problems = []
    for target, runs in results.items():
        if runs:
            c = runs[-1].check
            problems += [f"- {target}: lost {x}" for x in c.lost[:20]]
            problems += [f"- {target}: duplicate {x}" for x in c.duplicates[:20]]
            problems += [f"- {target}: not delivered {x}" for x in c.undelivered[:20]]
            if c.unknown:
                problems.append(f"- {target}: {c.unknown} delivered mails match no outbox row")
    lines += ["", *(problems or ["Nothing lost, nothing duplicated, nothing left undelivered."])]
    return "\n".join(lines) + "\n"


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{len(os.sched_getaffinity(0))} CPUs, {model}, Python {platform.python_version()}"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="kills per target (default 20)")
    parser.add_argument("--only", default="web,worker,digest", help="targets, comma-separated")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 kills per target")
    parser.add_argument("--members", type=int, default=48)
    parser.add_argument("--threads", type=int, default=8, help="writing client threads")
    parser.add_argument("--cohort", type=int, default=150, help="new subscribers per run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.members, args.cohort = 2, 16, 40
    args.command = " ".join([".venv/bin/python bench/faults.py", *sys.argv[1:]])
    args.started, args.commit, args.load_before = time.time(), commit(), os.getloadavg()[0]

    root = Path(tempfile.mkdtemp(prefix="paperwire-bench-faults-"))
    targets = {"web": web_target, "worker": worker_target, "digest": digest_target}
    results: dict[str, list[Run]] = {}
    try:
        for name in args.only.split(","):
            log(f"{name}: {args.runs} kills (data in {root / name})")
            # A mail server of its own: digests of two sites may share a Message-ID.
            sink = Sink(delay=0.02)
            sink.controller.start()
            try:
                results[name] = targets[name](root, sink, args)
            finally:
                sink.controller.stop()
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", str(root)], check=False)
    table = report(results, args)
    print()
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Fault runs\n\n" + table)
    print(f"Wrote {RESULTS.relative_to(ROOT)}")
    if any(
        runs and (runs[-1].check.lost or runs[-1].check.duplicates) for runs in results.values()
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
