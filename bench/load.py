"""Load benchmark: 200 concurrent clients against a real `paperwire serve`.

    .venv/bin/python bench/load.py [--quick] [--seconds 10] [--connections 200]

Starts `paperwire serve` (granian, 2 web workers, the background worker beside them)
on a new data directory with the demo papers, waits until the worker has embedded them
(so it is idle and search is hybrid), then runs `wrk` with 200 connections against, in
turn: the site's own stylesheet (the baseline: a static file through the same server and
the same Python app, WhiteNoise), the front page `/`, paper pages (every demo paper in
turn), `/search?q=` (the 95 queries of bench/eval_queries.jsonl in turn) and
`/api/daily_papers`, then the stylesheet again. Every request sends
`Accept-Encoding: gzip`, as browsers do.

Per path: requests/s, p50/p99 latency, errors (any answer other than 2xx/3xx, and
socket errors and timeouts), the server's CPU time per request (all of serve's
processes) and wrk's own CPU time. The client runs on the same two cores as the server:
its CPU column says how much of the machine it took. A Lua script counts the answers by
status code; wrk's timeout is 30 s, so a slow answer counts as slow, not as an error.
The figures go to bench/results/load.md; docs/benchmarks.md ("Load and faults")
records them by hand with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.md"
QUERIES = ROOT / "bench" / "eval_queries.jsonl"

LUA = """
local paths = {%(paths)s}
local n = 0
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = math.random(#paths)
end

function request()
  n = n + 1
  return wrk.format(nil, paths[(n %% #paths) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for code, c in pairs(t:get("statuses")) do
      counts[code] = (counts[code] or 0) + c
    end
  end
  for code, c in pairs(counts) do
    io.write(string.format("status %%d %%d\\n", code, c))
  end
  local e = summary.errors
  io.write(string.format("errors %%d %%d %%d %%d %%d\\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("requests %%d %%d\\n", summary.requests, summary.duration))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("latency %%g %%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("latency max %%d\\n", latency.max))
end
"""


@dataclass
class Row:
    name: str
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    drain_s: float = 0.0  # how long the server kept working after wrk stopped

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        bad = sum(n for code, n in self.statuses.items() if not 200 <= code < 400)
        return bad + sum(self.socket_errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    def error_text(self) -> str:
        parts = [f"{n} answered {code}" for code, n in sorted(self.statuses.items()) if code >= 400]
        parts += [f"{n} {kind}" for kind, n in self.socket_errors.items() if n]
        return ", ".join(parts)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PAPERWIRE_DATA_DIR"] = str(data_dir)
    paperwire = Path(sys.executable).with_name("paperwire")
    log = open(data_dir / "serve.log", "wb")
    proc = subprocess.Popen(
        [str(paperwire), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: its CPU is summed by group
    )
    log.close()
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            log_text = server_log(data_dir)
            raise SystemExit(f"paperwire serve exited with {proc.returncode}:\n{log_text}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/about", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit("paperwire serve did not answer within 180 s")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def server_log(data_dir: Path) -> str:
    try:
        return (data_dir / "serve.log").read_text(errors="replace")
    except OSError:
        return ""


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in the group (serve, granian,
    its workers, the background worker)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        # fields[2] is the process group; utime and stime are fields 14 and 15 of stat.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def wait_until_embedded(db: Path, timeout: float) -> str:
    """Wait for the worker to embed the demo papers, so it is idle while we measure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
                papers = con.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
                vectors = con.execute("SELECT count(*) FROM search_papervector").fetchone()[0]
        except sqlite3.Error:
            papers, vectors = 1, 0
        if papers and vectors >= papers:
            return f"{vectors} of {papers} papers embedded"
        if time.monotonic() > deadline:
            return f"only {vectors} of {papers} papers embedded after {timeout:.0f} s"
        time.sleep(1)


def settle(pgid: int, timeout: float = 120.0) -> float:
    """Wait until the server is idle (under 5 % of a CPU over half a second): requests of
    connections wrk has closed are still being answered, and must not count against the
    next row. Returns the seconds waited."""
    started = time.monotonic()
    before = group_cpu_seconds(pgid)
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        now = group_cpu_seconds(pgid)
        if now - before < 0.025:
            break
        before = now
    return time.monotonic() - started


# ---------------------------------------------------------------- the client


def run_wrk(
    name: str, base: str, paths: list[str], args: argparse.Namespace, script_dir: Path, pgid: int
) -> Row:
    script = script_dir / f"paths-{abs(hash(name))}.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        "--timeout",
        "30s",
        "-H",
        "Accept-Encoding: gzip",
        "-s",
        str(script),
    ]
    if args.warmup:
        subprocess.run(
            [*cmd, f"-d{args.warmup}s", base], capture_output=True, text=True, check=True
        )
    settle(pgid)
    row = Row(name, load=(os.getloadavg()[0], 0.0))
    server_before = group_cpu_seconds(pgid)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [*cmd, f"-d{args.seconds}s", base], capture_output=True, text=True, check=True
    ).stdout
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row.server_cpu_s = group_cpu_seconds(pgid) - server_before
    row.client_cpu_s = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    row.load = (row.load[0], os.getloadavg()[0])
    row.drain_s = settle(pgid)
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "status":
            row.statuses[int(parts[1])] = int(parts[2])
        elif parts[0] == "errors":
            kinds = ("connect", "read", "write", "status", "timeout")
            # "status" errors are non-2xx/3xx answers, already counted by code.
            row.socket_errors = {
                k: int(v) for k, v in zip(kinds, parts[1:], strict=True) if k != "status"
            }
        elif parts[0] == "requests":
            row.requests, row.seconds = int(parts[1]), int(parts[2]) / 1e6
        elif parts[0] == "latency":
            value = int(parts[2]) / 1000
            if parts[1] == "max":
                row.max_ms = value
            else:
                setattr(row, f"p{float(parts[1]):g}_ms", value)
    print(
        f"  {name}: {row.rps:,.0f} req/s, p50 {row.p50_ms:.1f} ms, p99 {row.p99_ms:.1f} ms, "
        f"errors {row.errors}, load {row.load[0]:.1f}→{row.load[1]:.1f}"
    )
    return row


# ---------------------------------------------------------------- report


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}; "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def report(rows: list[Row], args: argparse.Namespace, notes: list[str]) -> str:
    baseline = rows[0]
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(args.started))}, commit "
        f"{args.commit}, on {machine()}.",
        f"1-minute load average before the run: {args.load_before:.2f} (other work on the "
        "machine shows here; each row gives it at its start and end).",
        "",
        f"Command: `{args.command}`. `paperwire serve` (granian, 2 workers of 4 threads, the "
        f"background worker beside them), demo data, SQLite (WAL); `wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s --timeout 30s` on loopback (after a "
        f"{args.warmup} s warm-up per row), `Accept-Encoding: gzip`, on the same cores.",
        "",
        "| request | req/s | p50 ms | p99 ms | max ms | errors | 5xx | server CPU ms/req | "
        "wrk CPU s | drain s | load | req/s ÷ static |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        cpu = 1000 * row.server_cpu_s / row.requests if row.requests else 0.0
        ratio = row.rps / baseline.rps if baseline.rps else 0.0
        lines.append(
            f"| {row.name} | {row.rps:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{row.max_ms:.0f} | {row.errors} | {row.server_errors} | {cpu:.2f} | "
            f"{row.client_cpu_s:.1f} | {row.drain_s:.1f} | {row.load[0]:.1f}→{row.load[1]:.1f} | "
            f"{ratio:.2f} |"
        )
    errors = [f"- {row.name}: {row.error_text()}" for row in rows if row.errors]
    lines += ["", *(errors or ["No errors: every answer was 2xx/3xx, no socket errors."])]
    lines += ["", *notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per path")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per path")
    parser.add_argument("--connections", type=int, default=200, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s per path")
    parser.add_argument("--data-dir", type=Path, help="keep the data directory here")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 2, 1
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it (Debian: apt-get install wrk)")
    args.command = " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]])
    args.started = time.time()
    args.commit = commit()
    args.load_before = os.getloadavg()[0]

    tmp = None if args.data_dir else tempfile.mkdtemp(prefix="paperwire-bench-load-")
    data_dir = args.data_dir or Path(tmp or ".")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"Starting paperwire serve on {base} (data in {data_dir})")
    t0 = time.monotonic()
    proc = start_server(data_dir, port)
    notes = [f"- `paperwire serve` answered after {time.monotonic() - t0:.1f} s (new data dir)."]
    try:
        embedded = wait_until_embedded(data_dir / "paperwire.sqlite3", timeout=600)
        print(f"  {embedded} ({time.monotonic() - t0:.0f} s after start)")
        settle(proc.pid)
        notes.append(f"- Before measuring: {embedded} by the background worker.")
        with urllib.request.urlopen(base + "/", timeout=30) as r:
            page = r.read().decode()
        css = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', page)
        if not css:
            raise SystemExit("the front page links no stylesheet")
        with sqlite3.connect(f"file:{data_dir / 'paperwire.sqlite3'}?mode=ro", uri=True) as con:
            papers = [
                f"/papers/{pid}"
                for (pid,) in con.execute(
                    "SELECT public_id FROM papers_paper WHERE hidden = 0 ORDER BY id"
                )
            ]
        queries = [json.loads(line)["query"] for line in QUERIES.read_text().splitlines() if line]
        searches = [f"/search?{urllib.parse.urlencode({'q': q})}" for q in queries]
        static = f"static file {css[0]} (baseline)"
        targets = [
            (static, [css[0]]),
            ("front page /", ["/"]),
            (f"paper page /papers/<id> ({len(papers)} papers in turn)", papers),
            (f"search /search?q= ({len(searches)} queries in turn)", searches),
            ("API /api/daily_papers", ["/api/daily_papers"]),
            (f"static file {css[0]} (again, at the end)", [css[0]]),
        ]
        print(f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s per path")
        rows = [run_wrk(name, base, paths, args, data_dir, proc.pid) for name, paths in targets]
        log = server_log(data_dir)
        tracebacks = log.count("Traceback")
        notes.append(
            f"- Server log after the run: {tracebacks} tracebacks, "
            f"{log.count('Internal Server Error')} 'Internal Server Error' lines."
        )
    finally:
        stop_server(proc)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    table = report(rows, args, notes)
    print()
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Load benchmark\n\n" + table)
    print(f"Wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
