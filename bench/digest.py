"""Compose and send N digests to a local SMTP server, next to sending the same
pre-rendered messages raw over smtplib in the same run.

    .venv/bin/python bench/digest.py [--count 10000] [--quick]

Both runs deliver to one aiosmtpd server on 127.0.0.1 in this process, so the
server's cost is in both figures and the ratio is ours / raw.
"""

from __future__ import annotations

import argparse
import os
import platform
import smtplib
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="subscribers (default 10000)")
    parser.add_argument("--quick", action="store_true", help="500 subscribers, a smoke run")
    args = parser.parse_args()
    count = 500 if args.quick else args.count

    data_dir = Path(tempfile.mkdtemp(prefix="paperwire-bench-digest-"))
    port = _free_port()
    os.environ.update(
        PAPERWIRE_DATA_DIR=str(data_dir),
        PAPERWIRE_EMAIL_HOST="127.0.0.1",
        PAPERWIRE_EMAIL_PORT=str(port),
        PAPERWIRE_SITE_URL="http://127.0.0.1:8000",
        DJANGO_SETTINGS_MODULE="paperwire.settings",
    )
    os.environ.pop("PAPERWIRE_DATABASE_URL", None)
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command

    from paperwire.digests.compose import email_for
    from paperwire.digests.models import DigestMessage, Subscription
    from paperwire.digests.outbox import RunSummary, compose_period, send_due
    from paperwire.papers import feed

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    topics = [{}, {"keywords": ["reinforcement"]}, {"organizations": ["tencent"]}]
    Subscription.objects.bulk_create(
        [
            Subscription(
                email=f"reader{i}@example.org",
                status=Subscription.ACTIVE,
                topics=topics[i % len(topics)],
                feed_token=f"bench-{i}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    handler = _Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        period = feed.parse_day("2026-02-03")
        summary = RunSummary()
        started = time.perf_counter()
        compose_period("daily", period, summary=summary)
        composed = time.perf_counter()
        send_due(summary=summary)
        ours = time.perf_counter() - started
        compose_seconds = composed - started
        assert summary.sent == count, summary

        rows = list(DigestMessage.objects.select_related("subscription"))
        raw = [(m.to_email, email_for(m).message().as_bytes(linesep="\r\n")) for m in rows]
        before = handler.count
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to, body in raw:
                smtp.sendmail("bench@localhost", [to], body)
        raw_seconds = time.perf_counter() - started
        assert handler.count - before == count
    finally:
        controller.stop()

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    rows_out = [
        ("compose + send through the outbox", count / ours, ours),
        ("  of which composing", count / compose_seconds, compose_seconds),
        ("raw smtplib, same pre-rendered messages", count / raw_seconds, raw_seconds),
    ]
    print(f"\n{count} digests, {os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}")
    print(f"{'run':<42} {'digests/s':>10} {'seconds':>9}")
    for name, rate, seconds in rows_out:
        print(f"{name:<42} {rate:>10.0f} {seconds:>9.2f}")
    print(
        f"ratio ours / raw: {ours / raw_seconds:.2f}x the time "
        f"({raw_seconds / ours:.2f} of raw throughput)"
    )


if __name__ == "__main__":
    main()
