"""The library: Save toggled in place (htmx) like the ▲, a reading list read or unread,
and collections: made, described, ordered, public (page and feeds) or private (404 to
anyone else), bad input answered with a message."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from paperwire.community import library
from paperwire.community.models import Collection, CollectionItem, Save
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


def test_save_toggles_in_place_and_shows_on_cards(member_client: Client, feed_paper: Paper) -> None:
    url = "/papers/2401.01234/save"
    first = member_client.post(url, HTTP_HX_REQUEST="true")
    html = first.content.decode()
    assert first.status_code == 200 and 'class="save saved"' in html and "★ Saved" in html
    assert Save.objects.count() == 1
    card = member_client.get("/?date=2026-01-05").content.decode()
    assert 'hx-post="/papers/2401.01234/save"' in card and 'aria-pressed="true"' in card
    second = member_client.post(url, HTTP_HX_REQUEST="true")
    assert "☆ Save" in second.content.decode() and Save.objects.count() == 0
    # Explicit and repeated: one save at most.
    for _ in range(3):
        member_client.post(url, {"saved": "1"})
    assert Save.objects.count() == 1
    assert member_client.post(url, {"saved": "maybe"}).status_code == 400
    assert member_client.post("/papers/9999.99999/save").status_code == 404


def test_the_library_tabs_renew_their_count_alone(member_client: Client, feed_paper: Paper) -> None:
    saved = member_client.post("/papers/2401.01234/save", HTTP_HX_REQUEST="true")
    assert saved["HX-Trigger"] == "libraryChanged"  # what the tabs listen for
    tabs = member_client.get(
        "/library?show=all", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="reading-tabs"
    ).content.decode()
    assert 'id="reading-tabs"' in tabs
    assert "Unread (1)" in tabs and 'href="?show=all" aria-current="page"' in tabs
    assert "reading-list" not in tabs and "<html" not in tabs  # the tabs, not the page


def test_save_is_on_paper_pages_and_search_results(
    member_client: Client, feed_paper: Paper
) -> None:
    page = member_client.get("/papers/2401.01234").content.decode()
    assert 'action="/papers/2401.01234/save"' in page and "Add to a collection" in page
    results = member_client.get("/search?q=structured+state+spaces").content.decode()
    assert 'action="/papers/2401.01234/save"' in results


def test_anonymous_save_leads_to_login_and_back(client: Client, feed_paper: Paper) -> None:
    page = client.get("/?date=2026-01-05", HTTP_HOST="127.0.0.1").content.decode()
    assert "/papers/2401.01234/save?next=/%3Fdate%3D2026-01-05" in page
    response = client.get(
        "/papers/2401.01234/save", {"next": "/?date=2026-01-05"}, HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_reading_list_marks_read_and_unread(
    member_client: Client, member: Any, feed_paper: Paper
) -> None:
    library.set_saved(member, feed_paper, True)
    unread = member_client.get("/library").content.decode()
    assert "Structured State Spaces, Revisited" in unread and "Unread (1)" in unread
    member_client.post("/library/read/2401.01234", {"read": "1"})
    assert Save.objects.get().read_at is not None
    assert "Structured State Spaces" not in member_client.get("/library").content.decode()
    assert "Structured State Spaces" in member_client.get("/library?show=read").content.decode()
    member_client.post("/library/read/2401.01234", {"read": "0"})
    assert Save.objects.get().read_at is None


def test_collections_are_made_filled_ordered_and_shared(
    member_client: Client, member: Any, small_feed: Any, make_member: Any
) -> None:
    response = member_client.post(
        "/collections/new", {"name": "  State  spaces ", "description": "S4 and kin"}
    )
    collection = Collection.objects.get()
    assert response["Location"] == f"/collections/{collection.pk}"
    assert collection.name == "State spaces" and not collection.public
    papers = list(Paper.objects.order_by("pk")[:3])
    for paper in papers:
        member_client.post(
            "/collections/add", {"paper": paper.public_id, "collection": collection.pk}
        )
    again = member_client.post(
        "/collections/add",
        {"paper": papers[0].public_id, "collection": collection.pk},
        follow=True,
    )
    assert [i.paper_id for i in CollectionItem.objects.all()] == [p.pk for p in papers]
    said = again.content.decode()
    # The three adds before it were not followed: their notes are still on the page.
    assert said.count("Added to “State spaces”.") == 3
    assert "Already in “State spaces”; it keeps its place there." in said
    member_client.post(
        f"/collections/{collection.pk}/items/{papers[2].public_id}", {"action": "up"}
    )
    order = list(CollectionItem.objects.values_list("paper_id", flat=True))
    assert order == [papers[0].pk, papers[2].pk, papers[1].pk]
    member_client.post(
        f"/collections/{collection.pk}/items/{papers[0].public_id}", {"action": "remove"}
    )
    assert CollectionItem.objects.count() == 2

    # Private: its owner sees it; anyone else gets the same 404 as for no collection.
    url = f"/collections/{collection.pk}"
    assert member_client.get(url).status_code == 200
    stranger = Client(HTTP_HOST="127.0.0.1")
    stranger.force_login(make_member("bob"))
    assert stranger.get(url).status_code == 404
    assert stranger.get(url + ".atom").status_code == 404
    assert stranger.get("/collections/999999").status_code == 404

    # Public: a page, RSS and Atom in the collection's order.
    member_client.post(
        f"/collections/{collection.pk}/edit",
        {"name": "State spaces", "description": "S4 and kin", "public": "on"},
    )
    page = stranger.get(url).content.decode()
    assert "S4 and kin" in page and 'type="application/atom+xml"' in page
    for suffix in (".rss", ".atom"):
        feed = feedparser.parse(stranger.get(url + suffix).content)
        assert not feed.bozo and feed.feed.title.startswith("State spaces")
        assert [e.title for e in feed.entries] == [papers[2].title, papers[1].title]
    # Atom needs an author for every entry (RFC 4287): the collection's owner.
    atom = feedparser.parse(stranger.get(url + ".atom").content)
    assert atom.feed.author == member.username


def test_the_hub_address_of_a_collection_leads_to_its_page(
    member_client: Client, member: Any, make_member: Any
) -> None:
    """huggingface_hub's Collection.url is /collections/<owner>/<title words>-<n>."""
    collection = library.create_collection(member, "State spaces")
    hub_path = f"/collections/{library.collection_slug(collection)}"
    assert hub_path == f"/collections/{member.username}/state-spaces-{collection.pk}"
    # Private: its owner is led to it; anyone else gets the page's own 404.
    response = member_client.get(hub_path)
    assert response.status_code == 302 and response["Location"] == f"/collections/{collection.pk}"
    stranger = Client(HTTP_HOST="127.0.0.1")
    stranger.force_login(make_member("bob"))
    hidden = stranger.get(hub_path)
    assert hidden.status_code == 404 and "no such collection" in hidden.content.decode()
    collection.public = True
    collection.save()
    anonymous = Client(HTTP_HOST="127.0.0.1")
    # The number names the collection, as in the API: title words change with the name.
    for path in (hub_path, f"/collections/{member.username}/old-name-{collection.pk}"):
        assert anonymous.get(path)["Location"] == f"/collections/{collection.pk}"
    for path in (
        f"/collections/{member.username}/state-spaces-{collection.pk + 1}",
        f"/collections/{member.username}/state-spaces-99999999999999999999",
        f"/collections/{member.username}/state-spaces",
    ):
        response = anonymous.get(path)
        assert response.status_code == 404, path


def test_public_collections_are_on_their_owners_profile(
    member_client: Client, member: Any, feed_paper: Paper
) -> None:
    shared = library.create_collection(member, "Shared <picks>", public=True)
    library.add_to_collection(shared, feed_paper)
    library.create_collection(member, "Secret list")
    html = Client(HTTP_HOST="127.0.0.1").get(f"/u/{member.username}").content.decode()
    assert f'<a href="/collections/{shared.pk}">Shared &lt;picks&gt;</a>' in html
    assert "1 paper<" in html and "Secret list" not in html
    own = member_client.get(f"/u/{member.username}").content.decode()
    assert "Secret list" not in own and 'href="/library">your library</a>' in own


def test_one_or_ten_collections_cost_the_library_the_same_queries(
    member_client: Client, member: Any, small_feed: Any
) -> None:
    """Each collection's size is counted in the query that lists them, not once more
    per collection."""
    papers = list(Paper.objects.order_by("pk")[:3])

    def library_page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as seen:
            html = member_client.get("/library").content.decode()
        return len(seen.captured_queries), html

    first = library.create_collection(member, "Shelf 0", public=True)
    for paper in papers:
        library.add_to_collection(first, paper)
    one, html = library_page()
    assert f'<a href="/collections/{first.pk}">Shelf 0</a>' in html and "3 papers<" in html
    for i in range(1, 10):
        shelf = library.create_collection(member, f"Shelf {i}", public=i % 2 == 0)
        for paper in papers[: i % 3]:
            library.add_to_collection(shelf, paper)
    ten, html = library_page()
    assert ten == one
    assert html.count('<li><a href="/collections/') == 10
    assert "0 papers<" in html and "1 paper<" in html and "2 papers<" in html


def test_every_place_counts_the_papers_readers_see(
    member_client: Client, member: Any, feed_paper: Paper, make_member: Any
) -> None:
    """A collection's size is the same on its owner's profile, in their library, on the
    collection's page, under "Collections including this paper" (the paper's page and
    its page of all collections) and in the API's items: papers hidden by moderators
    are not counted anywhere, and count again once shown."""
    from paperwire.community.tokens import create_token

    shelf = library.create_collection(member, "Shelf", public=True)
    others = list(Paper.objects.exclude(pk=feed_paper.pk).order_by("pk")[:2])
    for paper in (feed_paper, *others):
        library.add_to_collection(shelf, paper)
    anon = Client(HTTP_HOST="127.0.0.1")
    _, token = create_token(member, "cli", "read")
    auth = {"Authorization": f"Bearer {token}"}
    slug = library.collection_slug(shelf)

    def sizes() -> dict[str, int]:
        def said(html: str, before: str) -> int:
            # The number in the same list item as the collection's name.
            entry = r"(?:(?!</li>).)*?(\d+) papers?</span>"
            found = re.findall(re.escape(before) + entry, html, re.S)
            assert len(found) == 1, (before, html)
            return int(found[0])

        link = f'<a href="/collections/{shelf.pk}">Shelf</a>'
        holding = 'class="holding-name">Shelf</a>'
        page = anon.get(f"/collections/{shelf.pk}").content.decode()
        api = anon.get(f"/api/collections/{slug}").json()
        (listed,) = anon.get(f"/api/collections?owner={member.username}").json()
        (mine,) = anon.get("/api/me/collections", headers=auth).json()
        return {
            "profile": said(anon.get(f"/u/{member.username}").content.decode(), link),
            "library": said(member_client.get("/library").content.decode(), link),
            "collection page": page.count('class="collection-item"'),
            "paper page": said(anon.get(feed_paper.get_absolute_url()).content.decode(), holding),
            "paper's collections": said(
                anon.get(f"{feed_paper.get_absolute_url()}/collections").content.decode(), holding
            ),
            "API": len(api["items"]),
            "API list": len(listed["items"]),  # the first four, as the Hub's list gives
            "API, mine": len(mine["items"]),
        }

    assert set(sizes().values()) == {3}
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(make_member("mod", is_staff=True, is_superuser=True))
    hide = {"action": "hide_papers", "_selected_action": [str(others[0].pk)]}
    assert staff.post("/admin/community/moderatedpaper/", hide).status_code == 302
    assert set(sizes().values()) == {2}, sizes()
    show = {**hide, "action": "unhide_papers"}
    assert staff.post("/admin/community/moderatedpaper/", show).status_code == 302
    assert set(sizes().values()) == {3}, sizes()


def test_collection_input_is_checked(member_client: Client, member: Any) -> None:
    assert member_client.post("/collections/new", {"name": ""}).status_code == 400
    assert member_client.post("/collections/new", {"name": "x" * 101}).status_code == 400
    member_client.post("/collections/new", {"name": "Reading group"})
    duplicate = member_client.post("/collections/new", {"name": "Reading group"})
    assert duplicate.status_code == 400 and "already have" in duplicate.content.decode()
    other = Collection.objects.get()
    assert (
        member_client.post(
            "/collections/add", {"paper": "nope", "collection": other.pk}
        ).status_code
        == 404
    )
    assert (
        member_client.post(f"/collections/{other.pk}/items/nope", {"action": "up"}).status_code
        == 404
    )
    with pytest.raises(library.LibraryError):
        library.reorder_collection(other, [1, 1])


def test_deleting_a_collection_asks_first(member_client: Client, member: Any) -> None:
    collection = library.create_collection(member, "Old")
    url = f"/collections/{collection.pk}/delete"
    assert "Delete the collection “Old”?" in member_client.get(url).content.decode()
    assert Collection.objects.exists()
    assert member_client.post(url)["Location"] == "/library"
    assert not Collection.objects.exists()
    # A collection's name is quoted in what the site says about it, as titles are.
    assert "The collection “Old” is deleted." in member_client.get("/library").content.decode()


def test_a_paper_added_to_a_new_collection_names_it_in_quotes(
    member_client: Client, member: Any, small_feed: Any
) -> None:
    paper = Paper.objects.order_by("pk").first()
    assert paper is not None
    response = member_client.post(
        "/collections/new", {"name": "Reading group", "paper": paper.public_id}, follow=True
    )
    assert "Added to your new collection “Reading group”." in response.content.decode()
