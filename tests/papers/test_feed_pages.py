"""The daily, weekly and monthly feed pages."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

THIS_YEAR = time.gmtime().tm_year


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="t-\d+"><a href="[^"]+">([^<]+)</a></h3>', html)


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" class="pager-{rel}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


SMALL_DAYS = {  # titles in feed order
    "2026-01-05": [
        "Hidden-State Clustering for Verification",  # 7 upvotes
        "Structured State Spaces, Revisited",  # 3 upvotes, published 2024
        "Lemmas Without Morphology",  # 3 upvotes, published 2023
    ],
    "2026-01-07": ["Esports Replays at Scale"],
    "2026-02-03": ["GPU Communication Abstractions"],
}


def test_home_shows_the_latest_day_with_papers(client: Client, small_feed, small_home) -> None:
    day, label = small_home  # 2026-02-03 unless this machine's clock is earlier

    html = page(client, "/")

    assert card_titles(html) == SMALL_DAYS[day.isoformat()]
    assert f'<h1 id="feed-heading">{label}</h1>' in html
    assert "Daily Papers" in html
    earlier = [d for d in SMALL_DAYS if d < day.isoformat()]
    assert link(html, "prev") == (f"/?date={earlier[-1]}" if earlier else None)


def test_home_with_the_demo_data(client: Client, demo_feed, demo_home) -> None:
    _, label, count = demo_home  # June 11, 2026 and its 36 papers, on today's clock

    html = page(client, "/")

    assert f'<h1 id="feed-heading">{label}</h1>' in html
    assert len(card_titles(html)) == count
    assert f"{count} papers" in html


def test_a_day_is_ordered_by_upvotes_then_publication_date(client: Client, small_feed) -> None:
    html = page(client, "/?date=2026-01-05")

    assert card_titles(html) == SMALL_DAYS["2026-01-05"]
    assert "3 papers" in html
    assert link(html, "next") == "/?date=2026-01-07"


def test_card_content(client: Client, small_feed) -> None:
    html = page(client, "/?date=2026-01-05")
    cards = html.split('<li class="card">')[1:]
    by_title = {card_titles(card)[0]: card for card in cards}

    lemmas = by_title["Lemmas Without Morphology"]
    assert "We lemmatize six languages without morphological tags." in lemmas
    assert '<span class="authors">2 authors</span>' in lemmas
    assert ">Feb 1, 2023</time>" in lemmas
    assert '<span class="n">3</span>' in lemmas

    clue = by_title["Hidden-State Clustering for Verification"]
    assert '<span class="org-handle">tencent</span> Tencent</a>' in clue
    assert ">Jan 9</time>" in clue  # the current year is left out
    assert '<span class="n">7</span>' in clue

    s4 = by_title["Structured State Spaces, Revisited"]
    assert re.search(r'>Ada Lovelace</a>, <a class="author" href="/authors/\d+">Alan Turing<', s4)
    assert 'href="/papers/2401.01234"' in s4
    assert ">Jan 2, 2024</time>" in s4 or THIS_YEAR == 2024


def test_long_abstracts_are_expandable(client: Client, import_rows) -> None:
    abstract = "word " * 200
    import_rows([{"title": "Long Winded", "summary": abstract, "feed_date": "2026-01-05"}])

    html = page(client, "/?date=2026-01-05")

    assert '<details class="abstract">' in html
    assert "Show full abstract" in html
    assert abstract.strip() in html


def test_previous_and_next_skip_empty_days(client: Client, small_feed) -> None:
    html = page(client, "/?date=2026-01-07")

    assert card_titles(html) == ["Esports Replays at Scale"]
    assert '<h1 id="feed-heading">January 7, 2026</h1>' in html
    assert link(html, "prev") == "/?date=2026-01-05"
    assert link(html, "next") == "/?date=2026-02-03"
    assert link(page(client, "/?date=2026-01-05"), "prev") is None


def test_empty_day_says_so_and_links_the_nearest_day(client: Client, small_feed) -> None:
    html = page(client, "/?date=2026-01-20")

    assert card_titles(html) == []
    assert "No papers on this day" in html
    # Jan 7 is 13 days away, Feb 3 is 14.
    assert 'The nearest day with papers is <a href="/?date=2026-01-07">January 7, 2026</a>' in html
    assert link(html, "prev") == "/?date=2026-01-07"
    assert link(html, "next") == "/?date=2026-02-03"


def test_empty_site_says_how_to_load_papers(client: Client) -> None:
    html = page(client, "/")
    assert "This site holds no papers yet" in html
    assert "paperwire import FILE" in html


def test_week(client: Client, small_feed) -> None:
    html = page(client, "/week/2026-W02")  # Monday Jan 5 to Sunday Jan 11

    assert card_titles(html) == [
        "Hidden-State Clustering for Verification",
        "Structured State Spaces, Revisited",
        "Lemmas Without Morphology",
        "Esports Replays at Scale",
    ]
    assert '<h1 id="feed-heading">Week 2, 2026</h1>' in html
    # Weeks without papers are skipped (Feb 3 is in week 6); none before week 2.
    assert link(html, "prev") is None
    assert link(html, "next") == "/week/2026-W06"
    empty = page(client, "/week/2026-W03")
    assert "No papers in this week" in empty
    assert '<a href="/?date=2026-01-07">' in empty
    assert link(empty, "prev") == "/week/2026-W02"
    assert link(empty, "next") == "/week/2026-W06"
    last = page(client, "/week/2026-W06")
    assert link(last, "prev") == "/week/2026-W02" and link(last, "next") is None


def test_month(client: Client, small_feed) -> None:
    html = page(client, "/month/2026-01")

    assert len(card_titles(html)) == 4
    assert card_titles(html)[0] == "Hidden-State Clustering for Verification"
    assert '<h1 id="feed-heading">January 2026</h1>' in html
    assert link(html, "prev") is None
    assert link(html, "next") == "/month/2026-02"
    assert card_titles(page(client, "/month/2026-02")) == ["GPU Communication Abstractions"]
    later = page(client, "/month/2026-12")
    assert link(later, "next") is None and link(later, "prev") == "/month/2026-02"
    assert link(page(client, "/month/2025-06"), "next") == "/month/2026-01"


def test_demo_periods(client: Client, demo_feed) -> None:
    assert "48 papers" in page(client, "/week/2026-W02")
    assert "48 papers" in page(client, "/month/2026-01")
    assert "53 papers" in page(client, "/?date=2026-02-03")
    assert "20 papers" in page(client, "/?date=2026-01-05")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?date=2023-02-30", "date &#x27;2023-02-30&#x27; does not exist"),
        ("/?date=yesterday", "is not of the form YYYY-MM-DD"),
        ("/?date=2026-1-5", "is not of the form YYYY-MM-DD"),
        ("/?date=<script>", "&lt;script&gt;"),
        ("/week/2026-W54", "does not exist: 2026 has no week 54"),
        ("/week/2026-02", "is not of the form YYYY-Www"),
        ("/month/2026-13", "months run from 01 to 12"),
        ("/month/January", "is not of the form YYYY-MM"),
        ("/?date=2026-01-05&page=two", "page must be a whole number"),
        ("/?date=2026-01-05&page=-1", "does not exist"),
        # Periods whose neighbours would fall outside the calendar.
        ("/?date=9999-12-31", "out of range"),
        ("/?date=0001-01-01", "out of range"),
        ("/week/9999-W52", "out of range"),
        ("/week/0001-W01", "out of range"),
        ("/month/9999-12", "out of range"),
        ("/month/0001-01", "out of range"),
    ],
)
def test_bad_periods_are_a_400_with_a_message(
    client: Client, small_feed, url: str, message: str
) -> None:
    html = page(client, url, status=400)

    assert message in html
    assert "<script>" not in html.split("<body>")[1]
    assert '<a href="/">Go to today' in html


def test_a_page_past_the_last_is_a_404_as_on_other_listings(client: Client, small_feed) -> None:
    # Trending and organization pages answer 404 past their last page; so do the feeds.
    response = client.get("/?date=2026-01-05&page=99")
    assert response.status_code == 404
    html = response.content.decode()
    assert "page 99 does not exist: pages run from 1 to 1" in html
    assert "<title>Not found" in html and "404 — not found" in html
    trending = client.get("/trending?page=999")
    assert trending.status_code == 404
    assert "<title>Not found" in trending.content.decode()


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("/?date=2026-01-05&", "January 5, 2026"),
        ("/week/2026-W02?", "Week 2, 2026"),
        ("/month/2026-01?", "January 2026"),
    ],
)
def test_later_pages_say_their_number(
    client: Client, small_feed, settings, url: str, label: str
) -> None:
    settings.PAPERWIRE = {**settings.PAPERWIRE, "FEED_PAGE_SIZE": 2}
    first, second = page(client, url.rstrip("?&")), page(client, f"{url}page=2")

    assert f"<title>Daily Papers — {label} · paperwire</title>" in first
    assert f'<h1 id="feed-heading">{label}</h1>' in first
    assert f"<title>Daily Papers — {label} · page 2 · paperwire</title>" in second
    assert (
        f'<h1 id="feed-heading">{label} <span class="heading-page">· page 2</span></h1>' in second
    )


def test_about_page_explains_the_ranking(client: Client) -> None:
    html = page(client, "/about")
    assert "How the feed is ordered" in html and "Trending" in html


def test_about_page_names_the_software_only_under_another_name(client: Client, settings) -> None:
    intro = re.compile(r"<p>([^<]*is a Daily Papers site[^<]*)</p>")
    default = intro.findall(page(client, "/about"))
    assert default and "runs on paperwire" not in default[0]
    assert default[0].startswith("paperwire is a Daily Papers site")
    assert "open-source and self-hostable" in default[0]

    settings.SITE_NAME = "ML Reading Room"
    custom = intro.findall(page(client, "/about"))
    assert custom and custom[0].startswith("ML Reading Room is a Daily Papers site")
    assert "It runs on paperwire, open-source and self-hostable." in custom[0]


def test_pages_have_labelled_landmarks_and_a_skip_link(client: Client, small_feed) -> None:
    html = page(client, "/")

    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    assert '<nav aria-label="Previous and next"' in html
    assert '<html lang="en">' in html
    assert '<meta name="viewport"' in html
