"""Two senders claiming due digests at once take different rows, and together all of them
(PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED; SQLite: one writer at a time)."""

from __future__ import annotations

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
            claimed[slot] = claim_due(DUE // 2)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, second = claimed
    assert len(first) == len(second) == DUE // 2
    assert not set(first) & set(second)
    assert DigestMessage.objects.filter(status=DigestMessage.SENDING).count() == DUE
