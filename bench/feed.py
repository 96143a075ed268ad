"""Feed benchmark: the daily feed page and /api/daily_papers on 100,000 papers.

Runnable alone:  .venv/bin/python bench/feed.py [--papers N] [--quick]

1. builds a throw-away data directory holding N synthetic papers spread over three
   years of feed dates (about 90 a day), with realistic field lengths;
2. times the pages in-process with Django's test client, with the response cache
   emptied before every request (cold) and primed (warm), next to the same client
   fetching a static file holding the same bytes (through WhiteNoise);
3. starts `paperwire serve` (granian, 2 workers) on that directory and runs
   `wrk -t2 -c32` on loopback against a feed page, the API and static files of the
   same sizes served by the same server.

The ratio to the static file is the figure: it says what Django costs on top of
what the server and the machine can do at all. Results go to bench/results/feed.md
and (full runs) to the Feed section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from gzip import compress as gzip_compress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "feed.md"
DOCS = ROOT / "docs" / "benchmarks.md"

WORDS = (
    "model learning neural network training data language large vision transformer "
    "attention representation diffusion image video generation reasoning benchmark "
    "evaluation performance method approach task tasks results show propose novel "
    "framework efficient scalable robust multimodal agent reinforcement policy reward "
    "alignment fine-tuning pretraining token tokens context retrieval augmented memory "
    "inference latency quantization sparse dense mixture experts layer layers embedding "
    "semantic structure graph dataset datasets state-of-the-art across various domains "
    "we our this that which while also further demonstrate significantly outperforms "
    "baseline baselines existing prior work experiments extensive analysis the of and to "
    "in for on with by from as is are be can using based new high low quality"
).split()
FIRST = (
    "Wei Li Ming Anna John Maria Chen Yu Alex Sara David Fatima Hiroshi Priya Lucas Elena "
    "Omar Julia Kenji Ana Ivan Chloe Mateo Aisha Noah Yuki Leila Tomas Ines Ravi Mei Jonas"
).split()
LAST = (
    "Wang Zhang Liu Smith Garcia Kim Nguyen Müller Rossi Kumar Silva Tanaka Ivanov Cohen "
    "Dubois Novak Andersen Okafor Haddad Larsen Moreau Sato Patel Costa Fischer Yilmaz Park "
    "Schmidt Kowalski Jensen Romero Petrov Chandra Ito Weber Lopez Martin Hughes Brown"
).split()
ORGS = [
    ("tencent", "Tencent"),
    ("google", "Google"),
    ("meta-llama", "Meta Llama"),
    ("microsoft", "Microsoft"),
    ("nvidia", "NVIDIA"),
    ("alibaba", "Alibaba Group"),
    ("deepseek-ai", "DeepSeek"),
    ("openbmb", "OpenBMB"),
    ("allenai", "Allen Institute for AI"),
    ("stanford", "Stanford University"),
    ("mit", "Massachusetts Institute of Technology"),
    ("bytedance", "ByteDance"),
    ("huggingface", "Hugging Face"),
    ("ethz", "ETH Zürich"),
    ("tsinghua", "Tsinghua University"),
    ("kaist", "KAIST"),
    ("salesforce", "Salesforce Research"),
    ("amazon", "Amazon"),
    ("apple", "Apple"),
    ("mistralai", "Mistral AI"),
]
SUBMITTERS = [f"user{i}" for i in range(300)]


# ---------------------------------------------------------------- data


def text(rng: random.Random, low: int, high: int) -> str:
    """Words up to a length drawn between low and high characters."""
    global _STREAM
    if not _STREAM:
        # One long random word stream; each text is a window of it (fast, and varied).
        _STREAM = " ".join(random.Random(3).choices(WORDS, k=400_000))
    target = rng.randint(low, high)
    start = _STREAM.find(" ", rng.randrange(len(_STREAM) - 2 * high)) + 1
    return _STREAM[start : _STREAM.rfind(" ", start, start + target + 1)]


_STREAM = ""


def sentence_text(rng: random.Random, low: int, high: int) -> str:
    body = text(rng, low, high)
    return ". ".join(s.capitalize() for s in body.split(" the ")) + "."


def upvotes(rng: random.Random) -> int:
    """Many 0, a long tail: 45 % none, then a Pareto tail capped at a few thousand."""
    if rng.random() < 0.45:
        return 0
    return min(int(rng.paretovariate(1.1)), 3000)


def build_data(n_papers: int, days: int, seed: int = 7) -> tuple[dt.date, dt.date]:
    """Fill the empty database with n_papers over `days` feed dates ending today."""
    from django.db import connection, transaction
    from django.utils import timezone

    from paperwire.papers.ids import title_key
    from paperwire.papers.models import Author, FeedEntry, Organization, Paper, PaperAuthor
    from paperwire.papers.store import bump_data_version

    rng = random.Random(seed)
    last = timezone.now().date()
    first = last - dt.timedelta(days=days - 1)
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        orgs = Organization.objects.bulk_create(
            Organization(id=i + 1, name=name, fullname=full) for i, (name, full) in enumerate(ORGS)
        )
        n_authors = max(200, n_papers // 4)
        names = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}" for i in range(n_authors)})
        Author.objects.bulk_create(
            (Author(id=i + 1, name=n) for i, n in enumerate(names)), batch_size=5000
        )
        batch = 2000
        for start in range(0, n_papers, batch):
            papers, links, entries = [], [], []
            for pk in range(start + 1, min(n_papers, start + batch) + 1):
                feed_date = first + dt.timedelta(days=rng.randrange(days))
                submitted = dt.datetime.combine(
                    feed_date, dt.time(rng.randrange(24), rng.randrange(60)), tzinfo=dt.UTC
                )
                age = rng.choice((0, 0, 0, 1, 2, 3, 5, 10, 30, 200, 2000))
                published = submitted - dt.timedelta(days=age, hours=rng.randrange(24))
                title = text(rng, 80, 120).capitalize()
                arxiv = f"{published:%y%m}.{pk:05d}" if rng.random() < 0.8 else None
                n_auth = rng.randint(3, 10)
                named = rng.random() < 0.9
                papers.append(
                    Paper(
                        id=pk,
                        public_id=arxiv or f"pw{pk:010d}",
                        arxiv_id=arxiv,
                        title=title,
                        title_key=title_key(title),
                        abstract=sentence_text(rng, 1200, 1800),
                        published_at=published,
                        updated_at=published,
                        primary_category="cs.CL",
                        categories=["cs.CL", "cs.LG"],
                        versions=[{"version": 1, "date": published.isoformat()}],
                        num_authors=n_auth,
                        organization=orgs[rng.randrange(len(orgs))] if rng.random() < 0.3 else None,
                        created=now,
                        modified=now,
                    )
                )
                if named:
                    for pos, author in enumerate(rng.sample(range(1, n_authors + 1), n_auth)):
                        links.append((pk, author, pos, ""))
                entries.append(
                    FeedEntry(
                        id=pk,
                        paper_id=pk,
                        feed_date=feed_date,
                        submitted_at=submitted,
                        submitter_name=rng.choice(SUBMITTERS) if rng.random() < 0.7 else "",
                        upvotes=upvotes(rng),
                        num_comments=rng.choice((0, 0, 0, 1, 2, 5)),
                        modified=now,
                    )
                )
            # The link table is the biggest (≈ 6 rows a paper): plain executemany is
            # several times faster than bulk_create for it and stores the same rows.
            # Links go in before their papers (foreign keys are checked at commit): the
            # search index's triggers then index each paper once with all its authors,
            # instead of re-indexing it on every author added.
            table = PaperAuthor._meta.db_table
            with connection.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (paper_id, author_id, position, affiliation) "
                    "VALUES (%s, %s, %s, %s)",
                    links,
                )
            Paper.objects.bulk_create(papers)
            FeedEntry.objects.bulk_create(entries)
            done = min(n_papers, start + batch)
            if done % 20000 == 0 or done == n_papers:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>7,} papers  ({rate:,.0f}/s)", flush=True)
        bump_data_version()
    with connection.cursor() as cur:
        cur.execute("ANALYZE") if connection.vendor == "sqlite" else None
    return first, last


# ---------------------------------------------------------------- in-process


@dataclass
class Timing:
    name: str
    p50: float
    p99: float
    size: int
    n: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def fetch(client: Any, url: str) -> tuple[int, bytes, Any]:
    response = client.get(url)
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    return response.status_code, body, response


def time_urls(
    client: Any, name: str, urls: list[str], *, cold: bool, shared_only: bool = False
) -> Timing:
    """p50/p99 of fetching urls. cold: both page caches emptied before each request;
    shared_only: only this process's copy emptied (a hit in the database cache)."""
    from django.core.cache import cache

    from paperwire.papers import cache as page_cache

    local = getattr(page_cache, "process_pages", None)
    times, size = [], 0
    for url in urls:
        if cold:
            cache.clear()
        if (cold or shared_only) and local is not None:
            local.clear()
        t0 = time.perf_counter()
        status, body, _ = fetch(client, url)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit(f"{url}: HTTP {status}")
        size = max(size, len(body))
    return Timing(name, statistics.median(times), percentile(times, 99), size, len(times))


def in_process(
    first: dt.date, last: dt.date, n: int, bench_date: dt.date, static_dir: Path
) -> tuple[list[Timing], dict[str, int], list[str]]:
    """Time pages with the test client; returns timings, page sizes and header checks."""
    from django.test import Client

    rng = random.Random(11)
    days = (last - first).days + 1

    def random_day() -> dt.date:
        return first + dt.timedelta(days=rng.randrange(days))

    def week(d: dt.date) -> str:
        y, w, _ = d.isocalendar()
        return f"/week/{y}-W{w:02d}"

    feed_url = f"/?date={bench_date.isoformat()}"
    api_url = f"/api/daily_papers?date={bench_date.isoformat()}"
    # The static twins hold the very bytes of the page and the API answer, so both
    # sides send the same amount. WhiteNoise indexes STATIC_ROOT when its middleware
    # starts: write the files first, then make the client that is timed.
    probe = Client(HTTP_HOST="127.0.0.1")
    sizes = {}
    for key, url, fname in (
        ("feed", feed_url, "feed-page.html"),
        ("api", api_url, "api-answer.json"),
    ):
        status, body, _ = fetch(probe, url)
        assert status == 200, (url, status)
        (static_dir / fname).write_bytes(body)
        # WhiteNoise sends the .gz beside a file to clients that accept gzip.
        (static_dir / f"{fname}.gz").write_bytes(gzip_compress(body, 9, mtime=0))
        sizes[key] = len(body)

    client = Client(HTTP_HOST="127.0.0.1")
    checks = header_checks(client, feed_url, api_url)

    cases: list[tuple[str, Any]] = [
        ("daily page /?date=", lambda d: f"/?date={d.isoformat()}"),
        ("API /api/daily_papers?date=", lambda d: f"/api/daily_papers?date={d.isoformat()}"),
        ("week page /week/", week),
        ("month page /month/", lambda d: f"/month/{d.year}-{d.month:02d}"),
    ]
    out = []
    for label, make in cases:
        cold_urls = [make(random_day()) for _ in range(n)]
        out.append(time_urls(client, f"{label} — cold", cold_urls, cold=True))
        pool = [make(random_day()) for _ in range(20)]
        for url in pool:
            fetch(client, url)
        warm_urls = [pool[i % len(pool)] for i in range(n)]
        name = f"{label} — warm, shared cache"
        out.append(time_urls(client, name, warm_urls, cold=False, shared_only=True))
        out.append(time_urls(client, f"{label} — warm", warm_urls, cold=False))
        print(
            f"  {out[-3].name}: p50 {out[-3].p50:.1f} ms; warm p50 {out[-2].p50:.2f} ms "
            f"(shared cache), {out[-1].p50:.2f} ms (this process's copy)"
        )
    for fname in ("feed-page.html", "api-answer.json"):
        urls = [f"/static/bench/{fname}"] * n
        out.append(time_urls(client, f"static file /static/bench/{fname}", urls, cold=False))
    return out, sizes, checks


def header_checks(client: Any, feed_url: str, api_url: str) -> list[str]:
    """ETag and Last-Modified on the feed page and the API, and a 304 when they match."""
    lines = []
    for url in (feed_url, api_url):
        _, _, first = fetch(client, url)
        etag, modified = first.get("ETag"), first.get("Last-Modified")
        again = client.get(url, HTTP_IF_NONE_MATCH=etag or "")
        lines.append(
            f"{url}: ETag {'present' if etag else 'MISSING'}, Last-Modified "
            f"{'present' if modified else 'MISSING'}, If-None-Match → {again.status_code}"
        )
    return lines


# ---------------------------------------------------------------- over HTTP


@dataclass
class WrkResult:
    name: str
    rps: float
    p50: str
    p99: str
    size: int
    errors: str
    baseline: str = ""  # name of the static row this one is compared with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(data_dir)}
    paperwire = Path(sys.executable).with_name("paperwire")
    cmd = [str(paperwire), "serve", "--no-demo", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/about"
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"paperwire serve exited with {proc.returncode}:\n{err}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return proc, time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > 60:
            stop_server(proc)
            raise SystemExit("paperwire serve did not answer within 60 s")
        time.sleep(0.02)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    # The server runs in its own session (start_new_session): signal that group only.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


RANDOM_DATES_LUA = """
local dates = {%s}
request = function()
  return wrk.format("GET", "/?date=" .. dates[math.random(#dates)])
end
"""


def run_wrk(
    name: str,
    url: str,
    seconds: int,
    connections: int,
    script: Path | None = None,
    gzip: bool = False,
) -> WrkResult:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        cmd[1:1] = ["-s", str(script)]
    if gzip:
        cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    errors = re.search(r"Socket errors:.*|Non-2xx.*", out)
    transfer = re.search(r"(\d+) requests in", out)
    print(f"  {name}: {rps:,.0f} req/s, p50 {p50 and p50.group(1)}, p99 {p99 and p99.group(1)}")
    if errors:
        print(f"    {errors.group(0)}")
    del transfer
    return WrkResult(
        name,
        rps,
        p50.group(1) if p50 else "?",
        p99.group(1) if p99 else "?",
        0,
        errors.group(0) if errors else "",
    )


def body_size(url: str, gzip: bool = False) -> int:
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as r:
        return len(r.read())


def http_header_checks(urls: list[str]) -> list[str]:
    """Over HTTP too: ETag and Last-Modified, and 304 for a matching If-None-Match."""
    lines = []
    for url in urls:
        for gzip in (False, True):
            headers = {"Accept-Encoding": "gzip"} if gzip else {}
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                etag, modified = r.headers.get("ETag"), r.headers.get("Last-Modified")
                encoding = r.headers.get("Content-Encoding") or "identity"
            again = urllib.request.Request(url, headers={**headers, "If-None-Match": etag or ""})
            try:
                with urllib.request.urlopen(again) as r2:
                    status = r2.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            path = url.split("//", 1)[1].split("/", 1)[1]
            lines.append(
                f"HTTP /{path} ({encoding}): ETag {etag or 'MISSING'}, Last-Modified "
                f"{modified or 'MISSING'}, If-None-Match → {status}"
            )
    return lines


# ---------------------------------------------------------------- report


def machine() -> str:
    model = "unknown CPU"
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


def report(
    args: argparse.Namespace,
    timings: list[Timing],
    wrk: list[WrkResult],
    sizes: dict[str, int],
    checks: list[str],
    startup: list[float],
    build_seconds: float,
) -> str:
    static_feed = next(t for t in timings if t.name.endswith("feed-page.html"))
    static_api = next(t for t in timings if t.name.endswith("api-answer.json"))
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"1-minute load average when the in-process part started: {args.load_inproc:.2f}; "
        f"when the HTTP part started: {args.load_http:.2f} (other work on the machine "
        "shows here).",
        "",
        f"Command: `{args.command}`. {args.papers:,} papers over {args.days} feed days "
        f"(≈{args.papers / args.days:.0f} a day), built in {build_seconds:.0f} s; "
        f"SQLite (WAL). Daily page {sizes['feed']:,} bytes, API answer {sizes['api']:,} bytes.",
        "",
        *goals(timings, wrk),
        "",
        f"### In-process (Django test client, {args.requests} requests per row)",
        "",
        "Cold: the response cache (papers/cache.py: shared in the database, plus a copy "
        "in each process) is emptied before each timed request, so each one looks the "
        "page up, misses, renders it from the database and stores it. Warm: 20 URLs "
        'fetched once, then requested in turn; "shared cache" empties the process\'s '
        "copy before each request (what another worker sees first). Dates are random "
        "over the three years. Baseline: the same client fetching a static file with the "
        "same bytes through WhiteNoise.",
        "",
        "| request | p50 ms | p99 ms | bytes | p50 / static p50 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for t in timings:
        base = static_api if "API" in t.name else static_feed
        lines.append(
            f"| {t.name} | {t.p50:.2f} | {t.p99:.2f} | {t.size:,} | {t.p50 / base.p50:.1f}x |"
        )
    lines += [
        "",
        f"### Over HTTP (`paperwire serve`: granian, 2 workers; "
        f"`wrk -t2 -c{args.connections} -d{args.seconds}s` on loopback, same 2 cores)",
        "",
        "Feed and API rows request one URL, so after the first request they are served "
        "from the response cache (the realistic case: pages change only when data does); "
        "the random-dates row requests a different day each time (mostly cache misses). "
        "Rows marked gzip send `Accept-Encoding: gzip` (as browsers and the "
        "huggingface_hub client do); their static twin is a .gz WhiteNoise serves as is. "
        "Other rows get the body uncompressed. Each row is compared with the static file "
        "of the same bytes and encoding.",
        "",
        "| request | req/s | p50 | p99 | bytes | req/s ÷ static req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rps = {w.name: w.rps for w in wrk}
    for w in wrk:
        # Random days vary in size: compared with the static twin of one day's page.
        static_rps = rps.get(w.baseline)
        ratio = f"{w.rps / static_rps:.2f}" if static_rps else "1 (baseline)"
        note = f" ({w.errors})" if w.errors else ""
        size = f"{w.size:,}" if w.size else f"≈{sizes['feed']:,}"
        lines.append(f"| {w.name}{note} | {w.rps:,.0f} | {w.p50} | {w.p99} | {size} | {ratio} |")
    lines += [
        "",
        "### Serving checks",
        "",
        *(f"- {c}" for c in checks),
        "- `paperwire serve` on the existing database, from start to first page: "
        + ", ".join(f"{s:.2f} s" for s in startup)
        + " (includes migrate check and collectstatic).",
        "",
    ]
    return "\n".join(lines)


def goals(timings: list[Timing], wrk: list[WrkResult]) -> list[str]:
    """The issue's targets: p50 under 20 ms in-process, 500 requests/s over HTTP."""
    p50 = {t.name: t.p50 for t in timings}
    rps = {w.name: w.rps for w in wrk}

    def ms(name: str) -> str:
        value = p50[name]
        return f"{value:.1f} ms ({'met' if value < 20 else 'NOT met'})"

    def per_s(name: str) -> str:
        value = rps[name]
        return f"{value:,.0f}/s ({'met' if value >= 500 else 'NOT met'})"

    day, api = "daily page /?date=", "API /api/daily_papers?date="
    return [
        "Against the targets (p50 under 20 ms in-process; at least 500 requests/s over HTTP):",
        "",
        f"- in-process p50, served from the response cache: daily page {ms(day + ' — warm')}, "
        f"API {ms(api + ' — warm')}; from the shared cache only: daily page "
        f"{ms(day + ' — warm, shared cache')}, API {ms(api + ' — warm, shared cache')}",
        f"- in-process p50, rendered (cache emptied first): daily page {ms(day + ' — cold')}, "
        f"API {ms(api + ' — cold')}",
        f"- over HTTP: daily page {per_s(day)}, gzip {per_s(day + ' (gzip)')}; "
        f"API {per_s(api)}, gzip {per_s(api + ' (gzip)')}",
    ]


def update_docs(section: str) -> None:
    head = "## Feed"
    body = (
        f"{head}\n\n`bench/feed.py`: the daily feed page and `/api/daily_papers` with "
        "100,000 papers, next to a static file of the same size served by the same "
        "server in the same run.\n\n" + section
    )
    if DOCS.exists():
        current = DOCS.read_text()
        pattern = re.compile(r"^## Feed\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(current):
            new = pattern.sub(lambda _: body.rstrip() + "\n\n", current).rstrip() + "\n"
        else:
            new = current.rstrip() + "\n\n" + body
    else:
        new = (
            "# Benchmarks\n\nEach benchmark in `bench/` runs alone and prints its figures "
            "next to a baseline measured in the same run. The latest figures, with the "
            "machine they came from:\n\n" + body
        )
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(new)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3 * 365, help="feed days (default 3 years)")
    parser.add_argument("--requests", type=int, default=300, help="in-process requests per row")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per URL")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--quick", action="store_true", help="small smoke run (3,000 papers)")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data directory")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.quick:
        args.papers, args.days, args.requests, args.seconds = 3000, 60, 40, 2
    args.command = " ".join([".venv/bin/python bench/feed.py", *sys.argv[1:]])

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="paperwire-bench-")
        data_dir = Path(tmp)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PAPERWIRE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "paperwire.settings"
    # Migrate and collect static files as `paperwire serve` does, in a child process:
    # settings pick the hashed-name storage only when the manifest exists at start,
    # and pages here must be byte for byte those the server sends.
    prepare = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); "
        "from paperwire.papers.management.commands.serve import collect_static; "
        "collect_static()"
    )
    subprocess.run([sys.executable, "-c", prepare], check=True, env=os.environ.copy())
    import django

    django.setup()
    from django.conf import settings

    from paperwire.papers.models import FeedEntry

    try:
        t0 = time.perf_counter()
        if FeedEntry.objects.exists():
            dates = FeedEntry.objects.order_by("feed_date").values_list("feed_date", flat=True)
            first, last = dates.first(), dates.last()
            assert first and last
            args.papers = FeedEntry.objects.count()
            args.days = (last - first).days + 1
            print(f"Reusing {args.papers:,} papers in {data_dir}")
        else:
            print(f"Building {args.papers:,} papers over {args.days} days in {data_dir}")
            first, last = build_data(args.papers, args.days)
        build_seconds = time.perf_counter() - t0
        bench_date = first + (last - first) // 2

        static_dir = Path(settings.STATIC_ROOT) / "bench"
        static_dir.mkdir(parents=True, exist_ok=True)
        args.load_inproc = os.getloadavg()[0]
        print(f"In-process, {args.requests} requests per row")
        timings, sizes, checks = in_process(first, last, args.requests, bench_date, static_dir)

        print(f"Over HTTP: wrk -t2 -c{args.connections} -d{args.seconds}s")
        port = free_port()
        startup = []
        for _ in range(2):  # the first start also collects static files
            proc, seconds = start_server(data_dir, port)
            startup.append(seconds)
            if len(startup) < 2:
                stop_server(proc)
        try:
            base = f"http://127.0.0.1:{port}"
            d = bench_date.isoformat()
            feed_static = "static file, same bytes as the page"
            api_static = "static file, same bytes as the API"
            # (name, url, gzip, baseline row)
            targets = [
                (feed_static, f"{base}/static/bench/feed-page.html", False, ""),
                ("daily page /?date=", f"{base}/?date={d}", False, feed_static),
                (f"{feed_static} (gzip)", f"{base}/static/bench/feed-page.html", True, ""),
                ("daily page /?date= (gzip)", f"{base}/?date={d}", True, f"{feed_static} (gzip)"),
                (api_static, f"{base}/static/bench/api-answer.json", False, ""),
                (
                    "API /api/daily_papers?date=",
                    f"{base}/api/daily_papers?date={d}",
                    False,
                    api_static,
                ),
                (f"{api_static} (gzip)", f"{base}/static/bench/api-answer.json", True, ""),
                (
                    "API /api/daily_papers?date= (gzip)",
                    f"{base}/api/daily_papers?date={d}",
                    True,
                    f"{api_static} (gzip)",
                ),
            ]
            checks += http_header_checks([f"{base}/?date={d}", f"{base}/api/daily_papers?date={d}"])
            wrk = []
            args.load_http = os.getloadavg()[0]
            for name, url, gzip, baseline in targets:
                size = body_size(url, gzip)
                result = run_wrk(name, url, args.seconds, args.connections, gzip=gzip)
                result.size, result.baseline = size, baseline
                wrk.append(result)
            # Every request another day of the three years: mostly cache misses.
            days = [first + dt.timedelta(days=i) for i in range(args.days)]
            script = data_dir / "random-dates.lua"
            script.write_text(RANDOM_DATES_LUA % ", ".join(f'"{d}"' for d in days))
            result = run_wrk(
                "daily page, a random day each request",
                f"{base}/",
                args.seconds,
                args.connections,
                script,
            )
            result.baseline = feed_static
            wrk.append(result)
            for w in wrk:
                twin = next((b for b in wrk if b.name == w.baseline), None)
                if twin and w.size and abs(w.size - twin.size) > 0.02 * twin.size:
                    print(f"  note: {w.name} {w.size:,} B vs {twin.name} {twin.size:,} B")
        finally:
            stop_server(proc)

        table = report(args, timings, wrk, sizes, checks, startup, build_seconds)
        print()
        print(table)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("# Feed benchmark\n\n" + table)
        print(f"Wrote {RESULTS.relative_to(ROOT)}")
        if not args.quick and not args.no_docs:
            update_docs(table)
            print(f"Updated {DOCS.relative_to(ROOT)}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
