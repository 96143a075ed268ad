"""/orgs: the index of organizations, its order, filter, pages and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paperwire.papers.models import FeedEntry, Organization, Paper
from paperwire.papers.records import OrganizationRecord, PaperRecord
from paperwire.papers.store import bump_data_version, upsert_paper

pytestmark = pytest.mark.django_db

# The display names of the listed organizations, in page order.
NAME_RE = re.compile(r'<h2 id="org-\d+"><a href="/orgs/([^"]+)">')


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def _paper(
    title: str,
    org: tuple[str, str] | None,
    *,
    days_ago: int | None = None,
    published_days_ago: int = 400,
    upvotes: int = 0,
    avatar: str = "",
) -> Paper:
    """A paper of ``org`` (handle, full name), published ``published_days_ago`` days ago;
    in the feed since ``days_ago`` days with ``upvotes``, or not in the feed (None: the
    paper an import would put in today's feed is taken out of it)."""
    now = timezone.now()
    submitted = None if days_ago is None else now - dt.timedelta(days=days_ago)
    done = upsert_paper(
        PaperRecord(
            title=title,
            abstract="An abstract.",
            published_at=now - dt.timedelta(days=published_days_ago),
            organization=OrganizationRecord(org[0], org[1], avatar) if org else None,
            feed_date=submitted.date() if submitted else None,
            submitted_at=submitted,
            upvotes=upvotes if submitted else None,
        )
    )
    if submitted is None:
        FeedEntry.objects.filter(paper=done.paper).delete()
    return done.paper


@pytest.fixture
def labs() -> None:
    """Four organizations with papers, one whose only paper is hidden, one with none.

    All published 400 days ago but quiet's (90). big: three feed papers of 200 days ago
    (10 upvotes); fresh: one paper in the feed this week (2 upvotes); quiet: one paper
    outside the feed; zeta: one feed paper of 300 days ago (50)."""
    for i, votes in enumerate((3, 3, 4)):
        _paper(f"Big paper {i}", ("big", "Big Research"), days_ago=200 + i, upvotes=votes)
    _paper("Fresh paper", ("fresh", "Fresh Lab"), days_ago=3, upvotes=2)
    _paper("Quiet paper", ("quiet", "Quiet Institute"), published_days_ago=90)
    _paper("Zeta paper", ("zeta", "Zeta Lab"), days_ago=300, upvotes=50)
    hidden = _paper("Hidden paper", ("gone", "Gone Corp"), days_ago=1, upvotes=9)
    Paper.objects.filter(pk=hidden.pk).update(hidden=True)
    Organization.objects.create(name="empty", fullname="Empty Org")
    bump_data_version()


def _listed(anon: Client, query: str = "") -> list[str]:
    response = anon.get("/orgs" + query)
    assert response.status_code == 200, response.content[:300]
    return NAME_RE.findall(response.content.decode())


def test_lists_organizations_that_have_visible_papers(anon: Client, labs) -> None:
    html = anon.get("/orgs").content.decode()
    assert sorted(NAME_RE.findall(html)) == ["big", "fresh", "quiet", "zeta"]
    big = html[html.index('href="/orgs/big"') :]
    big = big[: big.index("</article>")]
    assert ">Big Research</a>" in big and '<p class="org-handle">big</p>' in big
    published = (timezone.now() - dt.timedelta(days=400)).date()
    assert "3 papers · ▲ 10 upvotes" in big
    assert f'latest <time datetime="{published:%Y-%m-%d}">' in big  # its newest paper
    assert "1 paper · ▲ 0 upvotes" in html  # quiet: a paper outside the feed counts
    assert "Gone Corp" not in html and "Empty Org" not in html


def test_the_default_order_is_the_most_active_first(anon: Client, labs) -> None:
    """Papers of the last 30 days first (fresh), then all papers (big, then the one-paper
    labs by their newest paper: quiet's is 90 days old, zeta's 400)."""
    assert _listed(anon) == ["fresh", "big", "quiet", "zeta"]
    assert _listed(anon, "?sort=activity") == ["fresh", "big", "quiet", "zeta"]
    html = anon.get("/orgs").content.decode()
    assert '<p class="meta org-recent">1 in the last 30 days</p>' in html
    assert html.count("org-recent") == 1


def test_other_orders(anon: Client, labs) -> None:
    assert _listed(anon, "?sort=papers") == ["big", "zeta", "fresh", "quiet"]
    assert _listed(anon, "?sort=upvotes") == ["zeta", "big", "fresh", "quiet"]
    # By the name shown (Big Research, Fresh Lab, Quiet Institute, Zeta Lab), any case.
    Organization.objects.filter(name="zeta").update(fullname="alpha Lab")
    bump_data_version()
    assert _listed(anon, "?sort=name") == ["zeta", "big", "fresh", "quiet"]
    html = anon.get("/orgs?sort=name").content.decode()
    assert '<a href="/orgs?sort=name" aria-current="true">Name</a>' in html
    assert '<a href="/orgs">Activity</a>' in html


def test_the_filter_matches_handle_or_full_name_in_any_case(anon: Client, labs) -> None:
    assert _listed(anon, "?q=LAB") == ["fresh", "zeta"]  # Fresh Lab, Zeta Lab
    assert _listed(anon, "?q=Bi") == ["big"]  # the handle, and Big Research
    assert _listed(anon, "?q=qui&sort=name") == ["quiet"]
    assert _listed(anon, "?q=%20%20zeta%20") == ["zeta"]  # spaces around are no part of it
    assert _listed(anon, "?q=gone") == []  # its only paper is hidden
    for literal in ("%", "_", "b%g"):  # LIKE's wildcards are plain characters here
        assert _listed(anon, f"?q={literal.replace('%', '%25')}") == [], literal
    html = anon.get("/orgs?q=nothing-like-it&sort=papers").content.decode()
    assert "No organization's handle or name contains “nothing-like-it”." in html
    # The filter box keeps the word and the order; "show all" drops only the word.
    assert 'name="q" value="nothing-like-it"' in html
    assert '<input type="hidden" name="sort" value="papers">' in html
    assert '<a href="/orgs?sort=papers">show all</a>' in html


def test_names_and_filters_are_escaped(anon: Client, db) -> None:
    _paper("Script paper", ("xss", '<script>alert("o")</script>'), days_ago=1)
    bump_data_version()
    html = anon.get("/orgs?q=<b>x").content.decode()
    assert "<b>x" not in html and "&lt;b&gt;x" in html
    html = anon.get("/orgs").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;o&quot;)" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?sort=bogus", "sort must be one of: activity, papers, upvotes, name"),
        ("?sort=NAME", "sort must be one of"),
        ("?page=0", "page must be a whole number from 1 to 10000."),
        ("?page=two", "page must be a whole number"),
        ("?page=99999999999999999999", "page must be a whole number"),
        ("?q=" + "x" * 201, "q must be at most 200 characters."),
    ],
)
def test_bad_input_is_a_400_saying_what_it_takes(
    anon: Client, labs, query: str, message: str
) -> None:
    response = anon.get("/orgs" + query)
    assert response.status_code == 400
    assert '<p class="error-message">' + message in response.content.decode()


def test_a_page_past_the_end_is_a_404(anon: Client, labs) -> None:
    response = anon.get("/orgs?page=2")
    assert response.status_code == 404
    assert b"There is no such page of organizations." in response.content
    assert anon.get("/orgs?q=zzz").status_code == 200  # an empty first page is no error
    assert anon.get("/orgs?q=" + "x" * 200).status_code == 200


def _many_labs(count: int) -> None:
    for i in range(count):
        _paper(f"Lab paper {i:02d}", (f"lab{i:02d}", f"Lab {i:02d}"), days_ago=100, upvotes=i)
    bump_data_version()


def test_fifty_a_page_with_the_sites_pager(anon: Client, db) -> None:
    _many_labs(55)
    first = _listed(anon, "?sort=upvotes&q=lab")
    second = _listed(anon, "?sort=upvotes&q=lab&page=2")
    assert first == [f"lab{i:02d}" for i in range(54, 4, -1)]
    assert second == [f"lab{i:02d}" for i in range(4, -1, -1)]
    html = anon.get("/orgs?sort=upvotes&q=lab").content.decode()
    assert 'rel="next" class="pager-next" href="/orgs?sort=upvotes&amp;q=lab&amp;page=2"' in html
    html = anon.get("/orgs?sort=upvotes&q=lab&page=2").content.decode()
    assert 'rel="prev" class="pager-prev" href="/orgs?sort=upvotes&amp;q=lab"' in html
    assert "<title>Organizations matching lab · page 2 · paperwire</title>" in html
    # A new order or a new filter starts on page 1.
    assert '<a href="/orgs?q=lab&amp;sort=name">Name</a>' in html


def test_a_page_is_the_same_few_queries_however_many_organizations(anon: Client, db) -> None:
    """Counts are aggregated in the page's one query, not asked per organization."""
    _many_labs(2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert anon.get("/orgs").status_code == 200
        return len([q for q in seen.captured_queries if "papers_organization" in q["sql"]])

    assert queries() == 1
    with CaptureQueriesContext(connection) as few:
        anon.get("/orgs?sort=papers")
    _many_labs(40)
    with CaptureQueriesContext(connection) as many:
        anon.get("/orgs?sort=papers")
    assert len(many.captured_queries) == len(few.captured_queries), many.captured_queries


def test_an_avatar_shows_only_where_the_pages_allow_images(anon: Client, db) -> None:
    """img-src 'self': an avatar on this site is shown; one elsewhere would be refused by
    the browser, so the organization's initial stands in for it."""
    _paper("Own", ("own", "Own Lab"), days_ago=1, avatar="http://127.0.0.1/media/own.png")
    _paper("Hub", ("hub", "Hub Lab"), days_ago=2, avatar="https://cdn.example.org/hub.png")
    bump_data_version()
    html = anon.get("/orgs").content.decode()
    assert '<img class="org-avatar" src="http://127.0.0.1/media/own.png" alt=""' in html
    assert "cdn.example.org" not in html
    assert '<span class="org-avatar org-mark" aria-hidden="true">h</span>' in html


def test_the_site_leads_to_it(anon: Client, labs) -> None:
    for path in ("/", "/about", "/orgs/big"):
        html = anon.get(path).content.decode()
        assert '<a href="/orgs">' in html, path
    assert '<a href="/orgs">All organizations</a>' in anon.get("/orgs/big").content.decode()


def test_a_cards_avatar_shows_on_pages_only_when_they_may_load_it(anon: Client, db) -> None:
    """The byline of a card: an avatar elsewhere is refused by img-src 'self' (an empty
    square and a console error), so pages show the initial; a mail shows the picture."""
    from paperwire.papers.models import Paper
    from paperwire.papers.templatetags.paperwire import byline

    _paper("Hub", ("hub", "Hub Lab"), days_ago=2, avatar="https://cdn.example.org/hub.png")
    bump_data_version()
    paper = Paper.objects.select_related("organization").get(title="Hub")

    assert "cdn.example.org" not in anon.get("/").content.decode()
    assert '<span class="org-mark" aria-hidden="true">h</span>' in byline(paper)
    mailed = byline(paper, site="https://papers.example.org")
    assert '<img src="https://cdn.example.org/hub.png"' in mailed


def test_a_name_the_same_as_its_handle_shows_once(anon: Client, db) -> None:
    """Qwen's handle and full name are both "Qwen": cards, the paper page, the
    organization's page and /orgs say "Qwen" once, not "Qwen Qwen"; a full name that
    differs keeps the handle beside it ("tencent Tencent"), as on the seed pages."""
    same = _paper("Same paper", ("Qwen", "Qwen"), days_ago=1, published_days_ago=1)
    _paper("Bare paper", ("bare", ""), days_ago=2, published_days_ago=2)
    _paper("Other paper", ("tencent", "Tencent"), days_ago=3, published_days_ago=3)
    bump_data_version()
    for path in ("/", same.get_absolute_url()):  # the latest day's feed is Qwen's
        html = anon.get(path).content.decode()
        assert '<span class="org-mark" aria-hidden="true">Q</span>Qwen</a>' in html, path
        assert "Qwen Qwen" not in html and '<span class="org-handle">Qwen' not in html, path
    week = anon.get(f"/week/{timezone.now():%G-W%V}").content.decode()
    assert '<span class="org-mark" aria-hidden="true">b</span>bare</a>' in week
    assert '<span class="org-handle">tencent</span> Tencent</a>' in week
    page = anon.get("/orgs/Qwen").content.decode()
    assert '<h1 id="org-heading">Qwen</h1>' in page
    assert '<span class="org-handle">tencent</span> Tencent</h1>' in (
        anon.get("/orgs/tencent").content.decode()
    )
    index = anon.get("/orgs").content.decode()
    assert '<p class="org-handle">Qwen</p>' not in index
    assert '<p class="org-handle">bare</p>' not in index
    assert '<p class="org-handle">tencent</p>' in index


def test_the_filter_folds_the_case_of_letters_beyond_ascii(anon: Client, db) -> None:
    """A filter of "ü" finds "Über Lab" and "ÉCOLE" finds "école", on SQLite as on
    PostgreSQL (whose UPPER() folds every letter; SQLite's LIKE only ASCII ones)."""
    _paper("Uber paper", ("uber", "Über Lab"), days_ago=1)
    _paper("Ecole paper", ("ecole", "école normale"), days_ago=2)
    _paper("Plain paper", ("plain", "Plain Lab"), days_ago=3)
    bump_data_version()
    assert _listed(anon, "?q=ü") == ["uber"]
    assert _listed(anon, "?q=%20ÜBER%20") == ["uber"]
    assert _listed(anon, "?q=ÉCOLE") == ["ecole"]
    assert _listed(anon, "?q=é&sort=papers") == ["ecole"]
    assert _listed(anon, "?q=LAB") == ["plain", "uber"]
    assert _listed(anon, "?q=ö") == []
    assert _listed(anon, "?q=ü%25") == []  # still no wildcards
