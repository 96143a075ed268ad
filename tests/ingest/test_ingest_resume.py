"""The real `paperwire` command in subprocesses: kill -9 mid-harvest, start again, and
the result has every record exactly once; bad input ends with a line, not a traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from arxiv_fake import FakeArxiv, Reply, raw_page

from support import base_env

pytestmark = pytest.mark.slow

PAPERWIRE = str(Path(sys.executable).parent / "paperwire")
PAGES, PER_PAGE = 6, 50


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("resume")
    subprocess.run(
        [PAPERWIRE, "migrate", "--skip-checks", "-v", "0"],
        env=_env(path),
        check=True,
        timeout=120,
    )
    return path


def _env(data_dir: Path) -> dict[str, str]:
    env = base_env()
    env.update(
        PAPERWIRE_DATA_DIR=str(data_dir),
        PAPERWIRE_SECRET_KEY="test",
        PAPERWIRE_ARXIV_DELAY="0",
        DJANGO_SETTINGS_MODULE="paperwire.settings",
    )
    return env


@pytest.fixture
def server() -> Iterator[FakeArxiv]:
    fake = FakeArxiv().start()
    yield fake
    fake.stop()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie, ended and waiting for its new parent to reap it, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _query(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "paperwire.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_kill_9_and_resume(data_dir: Path, server: FakeArxiv) -> None:
    total = PAGES * PER_PAGE
    pages = {
        None if i == 0 else f"tok{i}": raw_page(
            range(i * PER_PAGE, (i + 1) * PER_PAGE),
            f"tok{i + 1}" if i + 1 < PAGES else None,
            total,
        )
        for i in range(PAGES)
    }
    reached, gate = threading.Event(), threading.Event()

    def handler(path: str, params: dict[str, str]) -> Reply:
        token = params.get("resumptionToken")
        if token == "tok3" and not gate.is_set():
            reached.set()
            gate.wait(30)  # hold the request open until the client is killed
            return Reply(503, b"gone")
        return Reply(body=pages[token])

    server.handler = handler
    argv = [PAPERWIRE, "ingest", "arxiv", "--source", "oai", "--base-url", server.url + "/oai",
            "--categories", "cs.CL", "--since", "2024-02-01", "--until", "2024-02-02"]  # fmt: skip
    proc = subprocess.Popen(
        argv, env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert reached.wait(60), "the harvest never asked for page 4"
        workers = _children(proc.pid)  # the parse-ahead worker, started for page 2
        assert len(workers) == 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        # Its input closed with the killed parent: the worker ends too, no orphan stays.
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # Page 4 is fetched before page 3 is stored (so that it is parsed meanwhile): pages
    # 1-2 were committed with the checkpoint; nothing of pages 3 and 4.
    assert _query(data_dir, "select count(*) from papers_paper") == [(2 * PER_PAGE,)]
    assert _query(data_dir, "select state, done, pages from ingest_checkpoint") == [
        ('{"token": "tok2"}', 0, 2)
    ]

    server.requests.clear()
    done = subprocess.run(argv, env=_env(data_dir), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "4 pages, 200 records: 200 new, 0 updated" in done.stdout
    # It went on from the saved token: no page was asked for twice, none skipped.
    assert [p.get("resumptionToken") for _, p in server.requests] == [
        "tok2", "tok3", "tok4", "tok5"
    ]  # fmt: skip
    assert _query(data_dir, "select count(*), count(distinct arxiv_id) from papers_paper") == [
        (total, total)
    ]
    ids = {f"2402.{n:05d}" for n in range(total)}
    assert {r[0] for r in _query(data_dir, "select arxiv_id from papers_paper")} == ids
    assert _query(data_dir, "select count(*) from papers_feedentry") == [(total,)]
    assert _query(data_dir, "select count(*) from papers_paperauthor") == [(2 * total,)]
    assert _query(
        data_dir,
        "select count(*) from (select paper_id from papers_paperauthor "
        "group by paper_id having count(*) != 2)",
    ) == [(0,)]
    assert _query(data_dir, "select done, pages, records from ingest_checkpoint") == [(1, 6, total)]

    status = subprocess.run(
        [PAPERWIRE, "ingest", "status"], env=_env(data_dir), capture_output=True, text=True
    )
    assert f"papers: {total} ({total} from arXiv)" in status.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--categories", "cs.CL,physics.nope"], "unknown arXiv category: physics.nope"),
        (["--since", "2024-03-01", "--until", "2024-02-01"], "is after --until"),
        (["--since", "yesterday"], "'yesterday' is not a date like 2024-01-31"),
    ],
)
def test_cli_errors_are_one_line(
    data_dir: Path, server: FakeArxiv, args: list[str], message: str
) -> None:
    argv = [PAPERWIRE, "ingest", "arxiv", "--base-url", server.url, "--categories", "cs.CL",
            "--since", "2024-02-01", *args]  # fmt: skip
    done = subprocess.run(argv, env=_env(data_dir), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert server.requests == []
