"""A sender killed with SIGKILL mid-batch, then restarted, neither loses nor duplicates mail."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from support import copy_database

from .conftest import Inbox, free_port

SUBSCRIBERS = 120
BIN = Path(sys.executable).parent


class _SlowHandler:
    """Takes its time before accepting each message, as a busy mail server does."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        await asyncio.sleep(0.03)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.inbox.messages.append(message)  # type: ignore[arg-type]
        return "250 accepted"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "paperwire"), *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_kill_mid_batch_then_restart_delivers_each_digest_once(
    migrated_template: Path, tmp_path: Path
):
    port = free_port()
    inbox = Inbox("127.0.0.1", port)
    controller = Controller(_SlowHandler(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "PAPERWIRE_DATA_DIR": str(tmp_path),
        "PAPERWIRE_EMAIL_HOST": "127.0.0.1",
        "PAPERWIRE_EMAIL_PORT": str(port),
        "PAPERWIRE_SITE_URL": "http://testserver",
    }
    env.pop("PAPERWIRE_DATABASE_URL", None)
    try:
        copy_database(migrated_template, tmp_path)  # as `paperwire migrate` leaves it
        assert _run(env, "load-demo").returncode == 0
        made = _run(
            env,
            "shell",
            "-c",
            "from paperwire.digests.models import Subscription as S; "
            f"S.objects.bulk_create([S(email=f'r{{i}}@example.org', status='active', "
            f"feed_token=f't{{i}}') for i in range({SUBSCRIBERS})])",
        )
        assert made.returncode == 0, made.stderr
        sender = subprocess.Popen(
            [str(BIN / "paperwire"), "digest", "send", "--period", "daily:2026-02-03"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while len(inbox.messages) < SUBSCRIBERS // 3 and time.monotonic() < deadline:
            assert sender.poll() is None, sender.communicate()
            time.sleep(0.01)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        at_kill = len(inbox.messages)
        assert 0 < at_kill < SUBSCRIBERS, "the kill must land mid-batch"
        # A sender holds one claim at a time: the kill leaves at most one row "sending".
        with sqlite3.connect(tmp_path / "paperwire.sqlite3") as db:
            (left,) = db.execute(
                "SELECT count(*) FROM digests_digestmessage WHERE status = 'sending'"
            ).fetchone()
        assert left <= 1, f"{left} rows were left in 'sending' by one killed sender"

        again = _run(env, "digest", "send", "--period", "daily:2026-02-03")
        assert again.returncode == 0, again.stderr
        assert "already" in again.stdout
        third = _run(env, "digest", "send", "--period", "daily:2026-02-03")
        assert "sent 0" in third.stdout
    finally:
        controller.stop()

    recipients = Counter(str(m["To"]) for m in inbox.messages)
    assert len(recipients) == SUBSCRIBERS, "no digest may be lost"
    ids = Counter(str(m["Message-ID"]) for m in inbox.messages)
    assert len(ids) == SUBSCRIBERS
    # SMTP has no way to make acceptance and our commit one step: a kill in that instant
    # can repeat the one message in flight, with the same Message-ID. Nothing else repeats.
    assert sum(recipients.values()) - SUBSCRIBERS <= 1
