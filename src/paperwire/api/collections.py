"""Collections in the Hub's shape: GET /api/collections (the list of public ones) and
/api/collections/{slug} for a public one (or the token owner's private one), and the
token owner's list, create, update, delete, add, remove and reorder under
/api/me/collections."""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query

from paperwire.api.auth import TOKEN, token_of
from paperwire.api.context import hub_context
from paperwire.api.me import AUTH_ERRORS
from paperwire.api.me_schemas import (
    CollectionIn,
    CollectionOrderIn,
    CollectionOut,
    CollectionPaperIn,
    CollectionUpdate,
    ListedCollectionOut,
)
from paperwire.api.papers import find_public_paper
from paperwire.api.responses import (
    MAX_LIMIT,
    MAX_PAGE,
    MAX_QUERY,
    error,
    json_response,
    link_next,
)
from paperwire.api.schemas import Error
from paperwire.community import library
from paperwire.community.models import Collection, CollectionItem
from paperwire.community.tokens import find_token
from paperwire.papers.feed import attach_author_names
from paperwire.papers.hfjson import paper_list_item_json, user_json
from paperwire.papers.ids import hub_id
from paperwire.papers.records import iso_z

# The Hub's list gives the first items of each collection only.
LISTED_ITEMS = 4
CollectionSort = Literal["lastModified", "trending", "upvotes"]


def collection_json(collection: Collection, *, listed: bool = False) -> dict[str, Any]:
    """The Hub's collection; `listed`, as its list gives one: the first items only and
    no `position` (huggingface_hub's list_collections passes its own)."""
    papers = library.collection_papers(collection)
    if listed:
        papers = papers[:LISTED_ITEMS]
    attach_author_names(papers)
    context = hub_context(papers)
    items = {i.paper_id: i for i in CollectionItem.objects.filter(collection=collection)}
    data = {
        "slug": library.collection_slug(collection),
        "title": collection.name,
        "description": collection.description,
        "owner": user_json(collection.owner),
        "items": [
            {
                "_id": hub_id("collection_item", items[p.pk].pk),
                "position": position,
                "type": "paper",
                **paper_list_item_json(p, context),
            }
            for position, p in enumerate(papers)
        ],
        "lastUpdated": iso_z(collection.modified),
        "position": 0,
        "private": not collection.public,
        "theme": "",
        "upvotes": 0,
        "url": settings.SITE_URL + collection.get_absolute_url(),
    }
    if listed:
        del data["position"]
    return data


def _owner_of_header(request: HttpRequest) -> int | None:
    """The account of a valid bearer token, if the request sent one (optional here)."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    row = find_token(header[7:].strip())
    return row.user_id if row is not None else None


def get_collection(request: HttpRequest, slug: str) -> HttpResponse:
    """A public collection; a private one only with its owner's token. Everything else is
    404, so a private collection cannot be told from none."""
    pk = library.collection_pk_of_slug(slug)
    collection = None
    if pk is not None:
        collection = Collection.objects.select_related("owner").filter(pk=pk).first()
    visible = (
        collection is not None
        and collection.owner.is_active
        and (collection.public or collection.owner_id == _owner_of_header(request))
    )
    if collection is None or not visible:
        return error(f"no collection {slug[:80]!r}", 404)
    return json_response(collection_json(collection))


# Each `item` is a paper to look up: a request names a few, not a library.
MAX_FILTER_VALUES = 20


def _holding(items: list[str]) -> list[int]:
    """The papers that `item` values name: "papers/<id>" is a paper (an arXiv id with
    or without version, or a paperwire id); models, datasets and the rest are not here."""
    found = []
    for item in items:
        kind, _, paper_id = item.partition("/")
        paper = find_public_paper(paper_id) if kind == "papers" and paper_id else None
        if paper is not None:
            found.append(paper.pk)
    return found


# Optional parameters are typed `str` with a None default, as in daily.py: the schema
# says "leave it out", never null.
def list_collections(
    request: HttpRequest,
    owner: list[str] = Query(None, description="Only collections of these user names"),
    item: list[str] = Query(
        None, description='Only collections holding one of these, e.g. "papers/2401.01234"'
    ),
    q: str = Query(None, max_length=MAX_QUERY, description="Text in the title or description"),
    sort: CollectionSort = Query(
        "trending", description="lastModified, trending or upvotes (all newest change first)"
    ),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Collections per page"),
    p: int = Query(0, ge=0, le=MAX_PAGE, description="Page, from 0 (from the Link header)"),
) -> HttpResponse:
    """Public collections of active members, most recently changed first: collections
    here have no upvotes, so every sort gives that order. Private ones never appear,
    not even to their owner's token. Each has its first four papers, as on the Hub."""
    for name, values in (("owner", owner), ("item", item)):
        if values and len(values) > MAX_FILTER_VALUES:
            return error(f"at most {MAX_FILTER_VALUES} {name} values in one request", 400)
    found = Collection.objects.filter(public=True, owner__is_active=True)
    if owner:
        found = found.filter(owner__username__in=owner)
    if item:
        found = found.filter(
            pk__in=CollectionItem.objects.filter(paper__in=_holding(item)).values("collection")
        )
    if q:
        found = found.filter(Q(name__icontains=q) | Q(description__icontains=q))
    start = p * limit
    rows = list(
        found.select_related("owner").order_by("-modified", "-pk")[start : start + limit + 1]
    )
    response = json_response([collection_json(c, listed=True) for c in rows[:limit]])
    if len(rows) > limit:
        link_next(request, response, p=p + 1)
    return response


def _mine(request: HttpRequest, pk: int) -> Collection | HttpResponse:
    found = Collection.objects.select_related("owner").filter(pk=pk, owner=token_of(request).user)
    collection = found.first()
    return collection if collection is not None else error(f"you have no collection {pk}", 404)


def list_mine(request: HttpRequest) -> HttpResponse:
    """The token owner's collections, public and private, by name."""
    mine = Collection.objects.filter(owner=token_of(request).user).select_related("owner")
    return json_response([collection_json(c) for c in mine])


def create(request: HttpRequest, body: CollectionIn) -> HttpResponse:
    user = token_of(request).user
    if body.namespace is not None and body.namespace != user.username:
        return error("collections are made in your own namespace", 403)
    try:
        collection = library.create_collection(
            user, body.title, body.description, public=not body.private
        )
    except library.LibraryError as exc:
        return error(str(exc), exc.status)
    return json_response(collection_json(collection), 201)


def get_mine(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mine(request, pk)
    return found if isinstance(found, HttpResponse) else json_response(collection_json(found))


def update(request: HttpRequest, pk: int, body: CollectionUpdate) -> HttpResponse:
    found = _mine(request, pk)
    if isinstance(found, HttpResponse):
        return found
    public = None if body.private is None else not body.private
    try:
        library.update_collection(
            found, name=body.title, description=body.description, public=public
        )
    except library.LibraryError as exc:
        return error(str(exc), exc.status)
    return json_response(collection_json(found))


def delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mine(request, pk)
    if isinstance(found, HttpResponse):
        return found
    library.delete_collection(found)
    return json_response({"deleted": pk})


def add_paper(request: HttpRequest, pk: int, body: CollectionPaperIn) -> HttpResponse:
    found = _mine(request, pk)
    if isinstance(found, HttpResponse):
        return found
    paper = find_public_paper(body.paper)
    if paper is None:
        return error(f"no paper with id {body.paper[:80]!r}", 404)
    try:
        library.add_to_collection(found, paper)
    except library.LibraryError as exc:
        return error(str(exc), exc.status)
    found.refresh_from_db()
    return json_response(collection_json(found))


def remove_paper(request: HttpRequest, pk: int, paper_id: str) -> HttpResponse:
    found = _mine(request, pk)
    if isinstance(found, HttpResponse):
        return found
    paper = find_public_paper(paper_id)
    if paper is None or not library.remove_from_collection(found, paper):
        return error(f"paper {paper_id[:80]!r} is not in this collection", 404)
    found.refresh_from_db()
    return json_response(collection_json(found))


def reorder(request: HttpRequest, pk: int, body: CollectionOrderIn) -> HttpResponse:
    found = _mine(request, pk)
    if isinstance(found, HttpResponse):
        return found
    ids = []
    for paper_id in body.papers:
        paper = find_public_paper(paper_id)
        if paper is None:
            return error(f"no paper with id {paper_id[:80]!r}", 404)
        ids.append(paper.pk)
    try:
        library.reorder_collection(found, ids)
    except library.LibraryError as exc:
        return error(str(exc), exc.status)
    found.refresh_from_db()
    return json_response(collection_json(found))


def register(api: NinjaAPI) -> None:
    mine: dict[str, Any] = {"tags": ["collections"], "auth": TOKEN, "by_alias": True}
    api.get(
        "/me/collections",
        response={200: list[CollectionOut], **AUTH_ERRORS},
        summary="Your collections",
        **mine,
    )(list_mine)
    api.post(
        "/me/collections",
        response={201: CollectionOut, 400: Error, 409: Error, **AUTH_ERRORS},
        summary="Make a collection (write scope)",
        **mine,
    )(create)
    api.get(
        "/me/collections/{int:pk}",
        response={200: CollectionOut, 404: Error, **AUTH_ERRORS},
        summary="One of your collections",
        **mine,
    )(get_mine)
    api.patch(
        "/me/collections/{int:pk}",
        response={200: CollectionOut, 400: Error, 404: Error, 409: Error, **AUTH_ERRORS},
        summary="Rename, describe, publish or hide a collection (write scope)",
        **mine,
    )(update)
    api.delete(
        "/me/collections/{int:pk}",
        response={200: dict[str, int], 404: Error, **AUTH_ERRORS},
        summary="Delete a collection (write scope)",
        **mine,
    )(delete)
    api.post(
        "/me/collections/{int:pk}/papers",
        response={200: CollectionOut, 400: Error, 404: Error, 409: Error, **AUTH_ERRORS},
        summary="Add a paper at the end (write scope)",
        **mine,
    )(add_paper)
    api.delete(
        "/me/collections/{int:pk}/papers/{path:paper_id}",
        response={200: CollectionOut, 404: Error, **AUTH_ERRORS},
        summary="Remove a paper (write scope)",
        **mine,
    )(remove_paper)
    api.put(
        "/me/collections/{int:pk}/order",
        response={200: CollectionOut, 400: Error, 404: Error, 409: Error, **AUTH_ERRORS},
        summary="Put the papers in a new order (write scope)",
        **mine,
    )(reorder)
    api.get(
        "/collections",
        response={200: list[ListedCollectionOut], 400: Error},
        summary="Public collections, in the Hub's shape",
        tags=["collections"],
        by_alias=True,
    )(list_collections)
    api.get(
        "/collections/{path:slug}",
        response={200: CollectionOut, 404: Error},
        summary="A public collection, in the Hub's shape",
        tags=["collections"],
        by_alias=True,
    )(get_collection)
