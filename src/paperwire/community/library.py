"""A member's library, as plain functions the pages and the API share: saves (the private
reading list, read or unread) and collections (named, ordered, public or private).

Every function is idempotent where a repeated request could happen (a double click, a
retried API call): saving twice keeps one save, adding a paper twice keeps one place.

A public collection shows on the pages of its papers ("Collections including this
paper"), which are cached for readers until the data changes: every change to a public
collection (and a collection made private) bumps the data version, so those pages are
renewed at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from paperwire.community.models import (
    COLLECTION_DESCRIPTION_MAX,
    COLLECTION_NAME_MAX,
    Collection,
    CollectionItem,
    Save,
)
from paperwire.papers.models import Paper
from paperwire.papers.store import bump_data_version

# A slug as the Hub writes one ("owner/title-words-<id>"), or just the id.
_SLUG = re.compile(r"^(?:[^/]{1,150}/[^/]{0,200}-)?(?P<pk>[0-9]{1,18})$")

# Bounds that keep one member's library a size every page and export can hold.
MAX_COLLECTIONS = 200
MAX_ITEMS = 1000


class LibraryError(ValueError):
    """A request the library refuses; the message says why, for the member."""

    # The API's status: 400 for bad input, 409 when the library's state is the reason
    # (a name already taken, a limit reached, an order that names other papers).
    status = 400


class LibraryConflict(LibraryError):
    status = 409


def set_saved(user: User, paper: Paper, saved: bool) -> bool:
    """Save the paper or take it out of the library; returns whether it is saved now."""
    if saved:
        try:
            with transaction.atomic():
                Save.objects.create(user=user, paper=paper)
        except IntegrityError:
            pass  # saved before: once is enough
    else:
        Save.objects.filter(user=user, paper=paper).delete()
    return saved


def set_read(user: User, paper: Paper, read: bool) -> Save:
    """Mark a saved paper read or unread (saving it first if it was not saved)."""
    set_saved(user, paper, True)
    save = Save.objects.get(user=user, paper=paper)
    if read != (save.read_at is not None):
        save.read_at = timezone.now() if read else None
        save.save(update_fields=["read_at"])
    return save


def saved_ids(user: User) -> set[int]:
    return set(Save.objects.filter(user=user).values_list("paper_id", flat=True))


def reading_list(user: User, state: str = "all") -> QuerySet[Save]:
    """The member's saves, newest first: "unread", "read" or "all"."""
    saves = Save.objects.filter(user=user, paper__hidden=False)
    if state == "unread":
        saves = saves.filter(read_at__isnull=True)
    elif state == "read":
        saves = saves.filter(read_at__isnull=False)
    return saves.select_related("paper", "paper__organization", "paper__feed_entry").order_by(
        "-created", "-pk"
    )


def clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise LibraryError("A collection needs a name.")
    if len(name) > COLLECTION_NAME_MAX:
        raise LibraryError(
            f"A collection's name can have at most {COLLECTION_NAME_MAX} characters."
        )
    return name


def clean_description(text: str) -> str:
    text = str(text).strip()
    if len(text) > COLLECTION_DESCRIPTION_MAX:
        raise LibraryError(
            f"A description can have at most {COLLECTION_DESCRIPTION_MAX} characters."
        )
    return text


def create_collection(
    user: User, name: str, description: str = "", public: bool = False
) -> Collection:
    name, description = clean_name(name), clean_description(description)
    if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
        raise LibraryConflict(f"You can have at most {MAX_COLLECTIONS} collections.")
    try:
        with transaction.atomic():
            return Collection.objects.create(
                owner=user, name=name, description=description, public=public
            )
    except IntegrityError:
        raise LibraryConflict(f"You already have a collection called {name!r}.") from None


def update_collection(
    collection: Collection,
    *,
    name: str | None = None,
    description: str | None = None,
    public: bool | None = None,
) -> Collection:
    was_public = collection.public
    if name is not None:
        collection.name = clean_name(name)
    if description is not None:
        collection.description = clean_description(description)
    if public is not None:
        collection.public = public
    try:
        with transaction.atomic():
            collection.save()
            if was_public or collection.public:
                bump_data_version()
    except IntegrityError:
        raise LibraryConflict(
            f"You already have a collection called {collection.name!r}."
        ) from None
    return collection


def delete_collection(collection: Collection) -> None:
    """Delete the collection; its papers stay on the site."""
    with transaction.atomic():
        collection.delete()
        if collection.public:
            bump_data_version()


def add_to_collection(collection: Collection, paper: Paper) -> CollectionItem:
    """Put the paper at the end of the collection (where it is, if it is there already)."""
    with transaction.atomic():
        existing = CollectionItem.objects.filter(collection=collection, paper=paper).first()
        if existing is not None:
            return existing
        items = CollectionItem.objects.filter(collection=collection)
        if items.count() >= MAX_ITEMS:
            raise LibraryConflict(f"A collection can hold at most {MAX_ITEMS} papers.")
        last = items.aggregate(last=Max("position"))["last"]
        try:
            with transaction.atomic():
                item = CollectionItem.objects.create(
                    collection=collection, paper=paper, position=0 if last is None else last + 1
                )
        except IntegrityError:  # added by a parallel request just now
            return CollectionItem.objects.get(collection=collection, paper=paper)
        Collection.objects.filter(pk=collection.pk).update(modified=timezone.now())
        if collection.public:
            bump_data_version()
    return item


def remove_from_collection(collection: Collection, paper: Paper) -> bool:
    with transaction.atomic():
        deleted, _ = CollectionItem.objects.filter(collection=collection, paper=paper).delete()
        if deleted:
            Collection.objects.filter(pk=collection.pk).update(modified=timezone.now())
            if collection.public:
                bump_data_version()
    return bool(deleted)


def reorder_collection(collection: Collection, paper_ids: Sequence[int]) -> None:
    """Put the collection's papers in the given order (primary keys, each once; every
    paper of the collection named exactly once)."""
    with transaction.atomic():
        items = {
            item.paper_id: item
            for item in CollectionItem.objects.select_for_update().filter(collection=collection)
        }
        if len(set(paper_ids)) != len(paper_ids):
            raise LibraryConflict("The new order names a paper more than once.")
        if set(paper_ids) != set(items):
            raise LibraryConflict(
                "The new order must name every paper of the collection, and only those."
            )
        for position, paper_id in enumerate(paper_ids):
            item = items[paper_id]
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        Collection.objects.filter(pk=collection.pk).update(modified=timezone.now())
        if collection.public:  # a paper page lists its collections newest change first
            bump_data_version()


def move_item(collection: Collection, paper: Paper, offset: int) -> None:
    """Move one paper up (offset -1) or down (+1) in its collection."""
    order = list(
        CollectionItem.objects.filter(collection=collection).values_list("paper_id", flat=True)
    )
    if paper.pk not in order:
        raise LibraryError("That paper is not in this collection.")
    at = order.index(paper.pk)
    to = max(0, min(len(order) - 1, at + offset))
    order.insert(to, order.pop(at))
    reorder_collection(collection, order)


def collection_papers(collection: Collection) -> list[Paper]:
    """The collection's visible papers in its order, ready for cards and JSON."""
    items = (
        CollectionItem.objects.filter(collection=collection, paper__hidden=False)
        .select_related(
            "paper", "paper__organization", "paper__feed_entry", "paper__feed_entry__submitted_by"
        )
        .order_by("position", "pk")
    )
    return [item.paper for item in items]


def with_paper_counts(collections: QuerySet[Collection]) -> QuerySet[Collection]:
    """The collections, each with `num_papers`: the papers of it readers see (hidden
    papers are not counted, as the collection's page and API JSON leave them out),
    counted in the query that lists the collections. Every place that shows a
    collection's size counts it here: the library, profiles, paper pages."""
    return collections.annotate(num_papers=Count("items", filter=Q(items__paper__hidden=False)))


def collections_holding(
    paper: Paper, viewer: User | AnonymousUser | None = None
) -> QuerySet[Collection]:
    """The collections that hold the paper, as the viewer may see them: public ones of
    active members (as their pages and profiles show them) and the viewer's own, private
    ones too. Most recently changed first, the order of /api/collections?item=papers/<id>;
    each with `num_papers`, the papers of it that readers see, counted in the same query."""
    visible = Q(public=True, owner__is_active=True)
    if viewer is not None and viewer.is_authenticated:
        visible |= Q(owner_id=viewer.pk)
    # The paper is matched in a subquery: a filter on `items` itself would join the one
    # item that matched, and the count would then be 1 for every collection.
    holding = CollectionItem.objects.filter(paper=paper).values("collection_id")
    return with_paper_counts(
        Collection.objects.filter(visible, pk__in=holding).select_related("owner")
    ).order_by("-modified", "-pk")


def collection_slug(collection: Collection) -> str:
    """The Hub's name for a collection, "owner/title-words-<id>": the API's `slug`, and
    the path huggingface_hub's Collection.url puts after /collections/."""
    words = slugify(collection.name)[:80] or "collection"
    return f"{collection.owner.get_username()}/{words}-{collection.pk}"


def collection_pk_of_slug(slug: str) -> int | None:
    """The collection a slug names (its trailing number: title words change), if any."""
    match = _SLUG.match(slug)
    return int(match["pk"]) if match else None
