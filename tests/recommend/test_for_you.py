"""For you, on both backends: cold start by chosen topics then trending, the model from
three positives on, why each paper is there, and a new upvote or save changing the very
next ranking."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community import actions, library
from paperwire.digests.models import Subscription
from paperwire.recommend.ranking import for_you

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def reader(db: None) -> User:
    return User.objects.create_user("reader", "reader@example.org", PASSWORD)


def titles(ranked: Any) -> list[str]:
    from paperwire.papers.models import Paper

    by_id = {p.pk: p.title for p in Paper.objects.filter(pk__in=[x.paper_id for x in ranked.picks])}
    return [by_id[x.paper_id] for x in ranked.picks]


def test_without_positives_or_topics_it_is_trending(reader: User, topic_feed: Any) -> None:
    ranked = for_you(reader, limit=5)
    assert ranked.mode == "trending" and ranked.positives == 0
    assert len(ranked.picks) == 5
    assert all(p.reason.startswith("trending") for p in ranked.picks)


def test_cold_start_puts_the_chosen_topics_first(reader: User, topic_feed: Any) -> None:
    Subscription.objects.create(
        email=reader.email, user=reader, status=Subscription.ACTIVE,
        topics={"keywords": ["protein folding"]},
    )  # fmt: skip
    ranked = for_you(reader, limit=8)
    assert ranked.mode == "topics"
    shown = titles(ranked)
    proteins = {p.title for p in topic_feed["proteins"]}
    assert set(shown[:6]) == proteins, shown
    assert ranked.picks[0].reason == "matches your saved search “protein folding”"
    assert ranked.picks[6].reason.startswith("trending")


def test_three_positives_switch_to_the_model(reader: User, topic_feed: Any) -> None:
    graphs = topic_feed["graphs"]
    actions.set_vote(reader, graphs[0], True)
    library.set_saved(reader, graphs[1], True)
    assert for_you(reader).mode == "trending", "two positives are not enough"
    library.set_saved(reader, graphs[2], True)
    ranked = for_you(reader, limit=3)
    assert ranked.mode == "model" and ranked.positives == 3
    assert set(titles(ranked)) == {p.title for p in graphs[3:]}
    liked = {p.title for p in graphs[:3]}
    for pick in ranked.picks:
        assert pick.like is not None and pick.like.title in liked
        assert pick.reason == f"like “{pick.like.title}” you {pick.like.verb}"
    # What the reader already has is never recommended back.
    assert not {p.pk for p in graphs[:3]} & {p.paper_id for p in for_you(reader, limit=100).picks}


def test_a_new_save_changes_the_next_ranking(reader: User, topic_feed: Any) -> None:
    graphs, speech = topic_feed["graphs"], topic_feed["speech"]
    for paper in graphs[:3]:
        actions.set_vote(reader, paper, True)
    before = for_you(reader, limit=3)
    assert set(titles(before)) == {p.title for p in graphs[3:]}
    for paper in speech[:4]:
        library.set_saved(reader, paper, True)
    after = for_you(reader, limit=4)
    assert after.positives == 7
    assert {p.title for p in speech[4:]} <= set(titles(after)), titles(after)


def test_the_page_shows_why_and_needs_an_account(reader: User, topic_feed: Any) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    response = anonymous.get("/for-you")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reader)
    page = client.get("/for-you").content.decode()
    assert "Upvote or save 3 papers" in page and "trending" in page
    for paper in topic_feed["speech"][:3]:
        library.set_saved(reader, paper, True)
    response = client.get("/for-you?days=30")
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert 'class="why"' in page and "you saved</p>" in page
    assert '<span class="tab-wide">Last </span>30 feed days</a>' in page


@pytest.mark.parametrize(
    "days", ["abc", "0", "32", "-1", "7.5", " 7", "\u0663", "\u00b2", "9" * 5000]
)
def test_a_bad_number_of_days_is_a_400_that_says_so(reader: User, days: str) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    for who in ("anonymous", "member"):
        if who == "member":
            client.force_login(reader)
        response = client.get("/for-you", {"days": days})
        page = response.content.decode()
        assert response.status_code == 400, (who, days)
        assert "days must be a whole number of feed days from 1 to 31" in page, who
        assert response["Cache-Control"] == "private, no-store"
    # Left out or empty, it is the default.
    for query in ("", "?days="):
        response = client.get("/for-you" + query)
        page = response.content.decode()
        assert response.status_code == 200 and '?days=7" aria-current="page"' in page


def test_hidden_papers_and_other_readers_stay_out(reader: User, topic_feed: Any) -> None:
    graphs = topic_feed["graphs"]
    for paper in graphs[:3]:
        library.set_saved(reader, paper, True)
    graphs[3].hidden = True
    graphs[3].save()
    other = User.objects.create_user("other", "other@example.org", PASSWORD)
    for paper in topic_feed["proteins"][:3]:
        library.set_saved(other, paper, True)
    shown = {p.paper_id for p in for_you(reader, limit=100).picks}
    assert graphs[3].pk not in shown
    assert set(titles(for_you(reader, limit=2))) == {p.title for p in graphs[4:]}
    assert {p.title for p in topic_feed["proteins"][3:5]} & set(titles(for_you(other, limit=3)))
