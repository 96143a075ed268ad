"""Two senders claiming due digests at once take different rows, and together all of them
(PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED; SQLite: one writer at a time). A sender
holds one claim at a time, so a killed sender leaves one row behind, not a batch."""

from __future__ import annotations

import socket
import subprocess
import threading

import pytest
from django.db import connections
from django.utils import timezone

from paperwire.digests.models import DigestMessage, Subscription
from paperwire.digests.outbox import claim_due

pytestmark = pytest.mark.django_db(transaction=True)

DUE = 20


def test_concurrent_claims_split_the_due_rows(backend: str) -> None:
    now = timezone.now()
    for i in range(DUE):
        sub = Subscription.objects.create(email=f"s{i}@example.org", status="active")
        DigestMessage.objects.create(
            subscription=sub, period="daily:2026-01-05", to_email=sub.email, subject="s",
            text_body="t", html_body="h", message_id=f"<{i}@x>", next_attempt_at=now,
        )  # fmt: skip
    start = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]

    def sender(slot: int) -> None:
        try:
            start.wait()
            while (row := claim_due()) is not None:
                claimed[slot].append(row.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, second = claimed
    assert len(first) + len(second) == DUE
    assert not set(first) & set(second)
    assert DigestMessage.objects.filter(status=DigestMessage.SENDING).count() == DUE


def test_a_killed_sender_leaves_one_row_in_sending(backend: str, tmp_path) -> None:
    """A `digest send` process killed while its SMTP server holds one mail leaves that one
    row in "sending" (not the rest of a batch); the next run sends it (its sender is dead)."""
    now = timezone.now()
    for i in range(5):
        sub = Subscription.objects.create(email=f"k{i}@example.org", status="active")
        DigestMessage.objects.create(
            subscription=sub, period="daily:2026-01-05", to_email=sub.email, subject="s",
            text_body="t", html_body="h", message_id=f"<k{i}@x>", next_attempt_at=now,
        )  # fmt: skip
    from paperwire.mail.sending import release_dead_claims

    first = claim_due()
    assert first is not None
    # As a process that died holding it: its pid is not alive on this host.
    DigestMessage.objects.filter(pk=first.pk).update(claimed_by="nohost-xyz:1")
    assert DigestMessage.objects.filter(status=DigestMessage.SENDING).count() == 1
    DigestMessage.objects.filter(pk=first.pk).update(
        claimed_by=f"{socket.gethostname()}:{_dead_pid()}"
    )
    assert release_dead_claims(DigestMessage) == 1
    assert DigestMessage.objects.filter(status=DigestMessage.QUEUED).count() == 5


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
