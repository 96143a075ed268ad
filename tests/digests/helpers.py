"""Papers and subscribers for the digest tests."""

from __future__ import annotations

import datetime as dt
import re

from paperwire.digests.models import Subscription
from paperwire.papers.records import AuthorRecord, OrganizationRecord, PaperRecord
from paperwire.papers.store import bump_data_version, upsert_paper

DAY = dt.date(2026, 1, 5)


def add_papers() -> None:
    stamp = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    upsert_paper(
        PaperRecord(
            title="Attention Is All You Need",
            arxiv_id="1706.03762",
            abstract="Transformers replace recurrence with attention <script>x</script>.",
            authors=[AuthorRecord("Ashish Vaswani")],
            categories=["cs.CL"],
            primary_category="cs.CL",
            feed_date=DAY,
            submitted_at=stamp,
            upvotes=40,
        )
    )
    upsert_paper(
        PaperRecord(
            title="Hunyuan Technical Report",
            abstract="A large mixture-of-experts model.",
            organization=OrganizationRecord("tencent", "Tencent"),
            feed_date=DAY,
            submitted_at=stamp,
            upvotes=3,
        )
    )
    bump_data_version()


def subscriber(email: str, *, frequency: str = "daily", **topics: list[str]) -> Subscription:
    return Subscription.objects.create(
        email=email, status=Subscription.ACTIVE, frequency=frequency, topics=topics
    )


LINK_RE = re.compile(r"https?://[^\s<>\"']+")


def links(text: str) -> list[str]:
    return sorted(set(LINK_RE.findall(text)))
