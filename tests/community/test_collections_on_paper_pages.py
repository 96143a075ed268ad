"""'Collections including this paper' on a paper page, as on the Hub: the public
collections of active members (and a member's own private ones, marked, to them only),
most recently changed first, the first five with "and N more" leading to the paper's
collections page; two queries however many; renewed at once in the page cache readers
get when a public collection changes, goes private, is deleted or its owner suspended."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from paperwire.community import library
from paperwire.community.models import Collection
from paperwire.papers.models import Paper
from support import client_of

pytestmark = pytest.mark.django_db

PAGE = "/papers/2401.01234"
HEADING = "Collections including this paper"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture
def anon() -> Client:
    """A reader without a session: the cached page."""
    return Client(HTTP_HOST="127.0.0.1")


def section(html: str) -> str:
    """The section's HTML, or "" when the page has none."""
    found = re.search(r'<section class="in-collections".*?</section>', html, re.S)
    return found.group(0) if found else ""


def names(html: str) -> list[str]:
    return re.findall(r'class="holding-name">([^<]*)</a>', section(html) or html)


def test_public_collections_are_listed_with_owner_size_and_description(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper, small_feed: Any
) -> None:
    ada, bob = make_member("ada"), make_member("bob")
    others = list(Paper.objects.exclude(pk=feed_paper.pk).order_by("pk")[:2])
    shared = library.create_collection(
        ada,
        "State <spaces>",
        "<script>alert(1)</script> Sequence models\nwith long memory, " + "word " * 40,
        public=True,
    )
    for paper in (feed_paper, *others):
        library.add_to_collection(shared, paper)
    secret = library.create_collection(bob, "Bob's secret shelf")
    library.add_to_collection(secret, feed_paper)

    html = section(anon.get(PAGE).content.decode())
    assert f"{HEADING} <span" in html and "(1)" in html
    link = f'<a href="/collections/{shared.pk}" class="holding-name">State &lt;spaces&gt;</a>'
    assert link in html
    assert '<a href="/u/ada">@ada</a> · 3 papers' in html
    # The description's first words, escaped, on one line; never raw HTML.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Sequence models with long memory," in html
    assert "<script>" not in html and html.count("word") < 30 and "word …" in html
    assert "secret" not in anon.get(PAGE).content.decode()

    # Its owner sees their own private collection there too, marked; nobody else does.
    mine = section(client_of(bob).get(PAGE).content.decode())
    assert names(mine) == ["Bob&#x27;s secret shelf", "State &lt;spaces&gt;"]
    assert '<span class="badge">private</span>' in mine and "(2)" in mine
    assert "secret" not in client_of(ada).get(PAGE).content.decode()


def test_no_section_when_no_collection_a_reader_may_see_holds_the_paper(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper
) -> None:
    ada = make_member("ada")
    assert HEADING not in anon.get(PAGE).content.decode()
    library.add_to_collection(library.create_collection(ada, "Private"), feed_paper)
    library.create_collection(ada, "Public, empty", public=True)
    assert HEADING not in anon.get(PAGE).content.decode()
    assert HEADING not in client_of(make_member("bob")).get(PAGE).content.decode()


def test_hidden_papers_are_not_counted(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper, small_feed: Any
) -> None:
    shelf = library.create_collection(make_member("ada"), "Shelf", public=True)
    for paper in Paper.objects.order_by("pk"):
        library.add_to_collection(shelf, paper)
    Paper.objects.exclude(pk=feed_paper.pk).filter(pk__lt=feed_paper.pk + 99).update(hidden=True)
    shown = Paper.objects.filter(hidden=False).count()
    library.update_collection(shelf, description="renewed")  # a change: the page is renewed
    assert f"· {shown} paper{'s' if shown != 1 else ''}" in section(anon.get(PAGE).content.decode())


def test_newest_change_first_five_then_a_page_with_all(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper
) -> None:
    shelves = []
    for i in range(7):
        shelves.append(library.create_collection(make_member(f"m{i}"), f"Shelf {i}", public=True))
        library.add_to_collection(shelves[-1], feed_paper)
    library.update_collection(shelves[2], description="touched last")

    html = anon.get(PAGE).content.decode()
    assert names(html) == ["Shelf 2", "Shelf 6", "Shelf 5", "Shelf 4", "Shelf 3"]
    assert "(7)" in section(html)
    more = f'<a href="{PAGE}/collections">and 2 more collections</a>'
    assert more in section(html)

    everything = anon.get(f"{PAGE}/collections")
    assert everything.status_code == 200
    listed = everything.content.decode()
    assert names(listed) == [f"Shelf {i}" for i in (2, 6, 5, 4, 3, 1, 0)]
    assert f'<a href="{PAGE}">Structured State Spaces, Revisited</a>' in listed
    # Both the page and the API list them in the same order (huggingface_hub's
    # list_collections(item="papers/<id>") is tested in tests/api).
    api = anon.get("/api/collections?item=papers/2401.01234&limit=100").json()
    assert [c["title"] for c in api] == names(listed)

    assert anon.get(f"{PAGE}/collections?page=2").status_code == 404
    assert anon.get(f"{PAGE}/collections?page=x").status_code == 400
    assert anon.get("/papers/2401.99999/collections").status_code == 404
    assert anon.get(f"{PAGE}/collections").status_code == 200


def test_a_versioned_arxiv_id_leads_to_the_papers_collections(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper
) -> None:
    """As /papers/2401.01234v2 leads to the paper's page (the same status: see
    tests/papers/test_paper_page.py), its list of collections is at the plain id."""
    shelf = library.create_collection(make_member("ada"), "Shelf", public=True)
    library.add_to_collection(shelf, feed_paper)
    page = anon.get("/papers/2401.01234v2")
    for client in (anon, client_of(make_member("bob"))):
        listed = client.get("/papers/2401.01234v2/collections")
        assert listed.status_code == page.status_code == 302
        assert listed["Location"] == f"{PAGE}/collections"
        assert names(client.get(listed["Location"]).content.decode()) == ["Shelf"]
    # The page asked for is kept; a paper that is not here, or hidden, is 404 as before.
    paged = anon.get("/papers/2401.01234v1/collections?page=2")
    assert paged["Location"] == f"{PAGE}/collections?page=2"
    assert anon.get("/papers/2401.99999v1/collections").status_code == 404
    Paper.objects.filter(pk=feed_paper.pk).update(hidden=True)
    library.update_collection(shelf, description="renewed")  # a new data version
    assert anon.get("/papers/2401.01234v2/collections").status_code == 404
    assert anon.get("/papers/2401.01234v2").status_code == 404


def test_the_collections_page_says_so_when_there_are_none(anon: Client, feed_paper: Paper) -> None:
    html = anon.get(f"{PAGE}/collections").content.decode()
    assert "No collection includes this paper yet." in html and "(0)" in html


def test_one_or_ten_collections_cost_the_same_queries(
    make_member: Callable[..., User], feed_paper: Paper
) -> None:
    from django.core.cache import cache

    from paperwire.papers.cache import process_pages

    reader = client_of(make_member("reader"))
    owners = [make_member(f"owner{i}") for i in range(10)]

    def queries(client: Client) -> tuple[int, int]:
        cache.clear()  # the page is rendered, not served from the page cache
        process_pages.clear()
        client.get(PAGE)  # the related papers' search warms its own caches first
        cache.clear()
        process_pages.clear()
        with CaptureQueriesContext(connection) as seen:
            html = client.get(PAGE).content.decode()
        mine = [q for q in seen.captured_queries if "community_collection" in q["sql"]]
        assert HEADING in html
        return len(seen.captured_queries), len(mine)

    library.add_to_collection(library.create_collection(owners[0], "One", public=True), feed_paper)
    one = queries(Client(HTTP_HOST="127.0.0.1")), queries(reader)
    for i, owner in enumerate(owners[1:], 1):
        shelf = library.create_collection(owner, f"Shelf {i}", "words", public=True)
        library.add_to_collection(shelf, feed_paper)
    ten = queries(Client(HTTP_HOST="127.0.0.1")), queries(reader)
    assert ten == one
    # The section's own: the count, and the first five with owners and sizes.
    assert one[0][1] == 2, one


def test_changes_reach_the_cached_page_at_once(
    anon: Client, member: User, member_client: Client, feed_paper: Paper, make_member: Any
) -> None:
    first = anon.get(PAGE)
    assert HEADING not in first.content.decode()
    # Cached: the same page again (the ETag of the stored response).
    assert anon.get(PAGE, headers={"If-None-Match": first["ETag"]}).status_code == 304

    member_client.post("/collections/new", {"name": "Reading group", "public": "on"})
    shelf = Collection.objects.get()
    member_client.post("/collections/add", {"paper": feed_paper.public_id, "collection": shelf.pk})
    assert names(anon.get(PAGE).content.decode()) == ["Reading group"]

    edit = f"/collections/{shelf.pk}/edit"
    member_client.post(edit, {"name": "Reading group, renamed", "public": "on"})
    assert names(anon.get(PAGE).content.decode()) == ["Reading group, renamed"]
    member_client.post(edit, {"name": "Reading group"})  # private now
    assert HEADING not in anon.get(PAGE).content.decode()
    member_client.post(edit, {"name": "Reading group", "public": "on"})
    assert names(anon.get(PAGE).content.decode()) == ["Reading group"]

    item = f"/collections/{shelf.pk}/items/{feed_paper.public_id}"
    member_client.post(item, {"action": "remove"})
    assert HEADING not in anon.get(PAGE).content.decode()
    assert "(0)" in anon.get(f"{PAGE}/collections").content.decode()
    member_client.post("/collections/add", {"paper": feed_paper.public_id, "collection": shelf.pk})
    assert names(anon.get(PAGE).content.decode()) == ["Reading group"]
    assert names(anon.get(f"{PAGE}/collections").content.decode()) == ["Reading group"]

    # Suspended in the admin: gone, as from the collection's page; back when reinstated.
    staff = client_of(make_member("mod", is_staff=True, is_superuser=True))
    for action, shown in (("suspend", []), ("reinstate", ["Reading group"])):
        done = staff.post(
            "/admin/community/member/", {"action": action, "_selected_action": [str(member.pk)]}
        )
        assert done.status_code == 302
        assert names(anon.get(PAGE).content.decode()) == shown, action
    assert anon.get(f"/collections/{shelf.pk}").status_code == 200

    member_client.force_login(member)  # reinstated: logged in again
    member_client.post(f"/collections/{shelf.pk}/delete")
    assert not Collection.objects.exists()
    assert HEADING not in anon.get(PAGE).content.decode()


def test_api_changes_reach_the_cached_page_too(
    anon: Client, member: User, feed_paper: Paper
) -> None:
    from paperwire.community.tokens import create_token

    _, token = create_token(member, "cli", "write")
    auth = {"Authorization": f"Bearer {token}"}
    made = anon.post(
        "/api/me/collections",
        {"title": "From the API", "private": False},
        content_type="application/json",
        headers=auth,
    ).json()
    pk = made["slug"].rsplit("-", 1)[1]
    assert HEADING not in anon.get(PAGE).content.decode()
    anon.post(
        f"/api/me/collections/{pk}/papers",
        {"paper": "2401.01234"},
        content_type="application/json",
        headers=auth,
    )
    assert names(anon.get(PAGE).content.decode()) == ["From the API"]
    for private, shown in ((True, []), (False, ["From the API"])):
        anon.patch(
            f"/api/me/collections/{pk}",
            {"private": private},
            content_type="application/json",
            headers=auth,
        )
        assert names(anon.get(PAGE).content.decode()) == shown
    assert anon.delete(f"/api/me/collections/{pk}", headers=auth).status_code == 200
    assert HEADING not in anon.get(PAGE).content.decode()


def test_the_users_admin_renews_the_page_too(
    anon: Client, make_member: Callable[..., User], feed_paper: Paper
) -> None:
    """Django's Users admin can make an account inactive, or delete it."""
    ada = make_member("ada")
    library.add_to_collection(library.create_collection(ada, "Ada's", public=True), feed_paper)
    staff = client_of(make_member("mod", is_staff=True, is_superuser=True))
    url = f"/admin/auth/user/{ada.pk}/change/"
    form = {
        "username": "ada",
        "first_name": "",
        "last_name": "",
        "email": ada.email,
        "date_joined_0": "2026-01-02",
        "date_joined_1": "10:00:00",
    }
    assert names(anon.get(PAGE).content.decode()) == ["Ada&#x27;s"]
    assert staff.post(url, form).status_code == 302  # no is_active: inactive
    assert HEADING not in anon.get(PAGE).content.decode()
    assert staff.post(url, {**form, "is_active": "on"}).status_code == 302
    assert names(anon.get(PAGE).content.decode()) == ["Ada&#x27;s"]
    deleted = staff.post(f"/admin/auth/user/{ada.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not Collection.objects.exists()
    assert HEADING not in anon.get(PAGE).content.decode()
