"""Library pages: the one-click Save (in place, like the ▲), the reading list, and
collections (make, describe, share, fill, order, delete)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from paperwire.community import actions, library, paging
from paperwire.community.models import (
    COLLECTION_DESCRIPTION_MAX,
    COLLECTION_NAME_MAX,
    Collection,
    CollectionItem,
)
from paperwire.community.templatetags.community import save_context
from paperwire.community.views import _login_redirect, _user, safe_next
from paperwire.papers.cache import versioned_page
from paperwire.papers.error_page import error_page
from paperwire.papers.views import without_version

READING_STATES = ("unread", "read", "all")


@require_http_methods(["GET", "POST"])
def save(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Save or unsave (POST saved=1|0, none = toggle). GET is the anonymous reader's
    link: log in, then back to the page."""
    paper = actions.visible_paper(paper_id)
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    back = safe_next(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return _login_redirect(request, back)
    if request.method == "GET":
        return redirect(back)
    user = _user(request)
    raw = request.POST.get("saved")
    if raw in ("1", "0"):
        wanted = raw == "1"
    elif not raw:
        wanted = not paper.save_rows.filter(user=user).exists()
    else:
        return error_page(request, "saved must be 1 (save) or 0 (remove from your library).", 400)
    saved = library.set_saved(user, paper, wanted)
    if getattr(request, "htmx", False):
        context = save_context(paper, saved, authenticated=True, next_url=back)
        response = render(request, "community/_save.html", context)
        # The library page listens for it to renew its "Unread (n)" count.
        response["HX-Trigger"] = "libraryChanged"
        return response
    return redirect(back)


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=COLLECTION_NAME_MAX, strip=True)
    description = forms.CharField(
        max_length=COLLECTION_DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COLLECTION_DESCRIPTION_MAX}),
    )
    public = forms.BooleanField(
        required=False, label="Public: anyone with the link sees it, with its feeds"
    )


@login_required
def library_page(request: HttpRequest) -> HttpResponse:
    """The reading list (unread first by default) and the member's collections."""
    user = _user(request)
    state = request.GET.get("show", "unread")
    if state not in READING_STATES:
        state = "unread"
    unread = library.reading_list(user, "unread").count()
    if request.headers.get("HX-Target") == "reading-tabs":
        # The tabs renewing their count (templates/community/_reading_tabs.html): only them.
        tabs = {"state": state, "states": READING_STATES, "unread": unread}
        return render(request, "community/_reading_tabs.html", tabs)
    context = {
        "saves": list(library.reading_list(user, state)[:500]),
        "state": state,
        "states": READING_STATES,
        "unread": unread,
        "collections": library.with_paper_counts(Collection.objects.filter(owner=user)),
        "form": CollectionForm(),
        "nav_active": "library",
    }
    return render(request, "community/library.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest, paper_id: str) -> HttpResponse:
    paper = actions.visible_paper(paper_id)
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    read = request.POST.get("read") == "1"
    library.set_read(_user(request), paper, read)
    return redirect(safe_next(request, reverse("library")))


@login_required
@require_POST
def collection_create(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(request.POST)
    if form.is_valid():
        try:
            collection = library.create_collection(_user(request), **form.cleaned_data)
        except library.LibraryError as exc:
            form.add_error("name", str(exc))
        else:
            paper = actions.visible_paper(request.POST.get("paper", ""))
            if paper is not None:
                library.add_to_collection(collection, paper)
                messages.success(request, f"Added to your new collection “{collection.name}”.")
                return redirect(safe_next(request, collection.get_absolute_url()))
            return redirect(collection.get_absolute_url())
    user = _user(request)
    context = {
        "saves": list(library.reading_list(user, "unread")[:500]),
        "state": "unread",
        "states": READING_STATES,
        "unread": library.reading_list(user, "unread").count(),
        "collections": library.with_paper_counts(Collection.objects.filter(owner=user)),
        "form": form,
        "nav_active": "library",
    }
    return render(request, "community/library.html", context, status=400)


def _visible_collection(request: HttpRequest, pk: int) -> Collection:
    """A public collection, or a private one to its owner; others get a 404, which does
    not tell a private collection from none."""
    collection = Collection.objects.select_related("owner").filter(pk=pk).first()
    mine = collection is not None and collection.owner_id == request.user.pk
    if collection is None or not (collection.public or mine) or not collection.owner.is_active:
        raise Http404("No such collection")
    return collection


def _own_collection(request: HttpRequest, pk: int) -> Collection:
    collection = Collection.objects.filter(pk=pk, owner_id=request.user.pk).first()
    if collection is None:
        raise Http404("No such collection")
    return collection


def collection_by_slug(request: HttpRequest, slug: str) -> HttpResponse:
    """/collections/<owner>/<title words>-<n>, the address huggingface_hub's
    Collection.url names (the Hub's): to the collection's page, when the requester may
    see it; otherwise the same 404 as the page's."""
    pk = library.collection_pk_of_slug(slug)
    try:
        collection = _visible_collection(request, pk if pk is not None else 0)
    except Http404:
        return error_page(request, "There is no such collection, or it is private.", 404)
    return redirect(collection.get_absolute_url())


def collection_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        collection = _visible_collection(request, pk)
    except Http404:
        return error_page(request, "There is no such collection, or it is private.", 404)
    mine = collection.owner_id == request.user.pk
    context = {
        "collection": collection,
        "papers": library.collection_papers(collection),
        "mine": mine,
        "form": CollectionForm(
            initial={
                "name": collection.name,
                "description": collection.description,
                "public": collection.public,
            }
        )
        if mine
        else None,
    }
    return render(request, "community/collection.html", context)


@versioned_page
def paper_collections(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Every collection that holds the paper (its page lists the first few), in the
    same order, fifty a page: for readers as cached as the paper page itself. A
    versioned arXiv id (2401.01234v2) redirects to the paper's list, as its page does."""
    if (base := without_version(paper_id)) is not None:
        plain = actions.visible_paper(base)
        if plain is None:
            return error_page(request, "No paper has this id.", 404)
        url = reverse("paper_collections", args=[plain.public_id])
        query = request.META.get("QUERY_STRING", "")  # the page asked for, ?page=2
        return redirect(f"{url}?{query}" if query else url)
    paper = actions.visible_paper(paper_id)
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    try:
        number = paging.page_number(request)
    except paging.BadPage as exc:
        return error_page(request, str(exc), 400)
    holding = library.collections_holding(paper, request.user)
    collections, more = paging.window(holding, number)
    if number > 1 and not collections:
        return error_page(request, "There is no such page of this list.", 404)
    context = {
        "paper": paper,
        "collections": collections,
        "total": holding.count(),
        "pager": paging.pager(request, number, more),
    }
    return render(request, "community/paper_collections.html", context)


@login_required
@require_POST
def collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        collection = _own_collection(request, pk)
    except Http404:
        return error_page(request, "There is no such collection of yours.", 404)
    form = CollectionForm(request.POST)
    if form.is_valid():
        try:
            library.update_collection(collection, **form.cleaned_data)
        except library.LibraryError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, "The collection is saved.")
            return redirect(collection.get_absolute_url())
    collection.refresh_from_db()
    context = {
        "collection": collection,
        "papers": library.collection_papers(collection),
        "mine": True,
        "form": form,
    }
    return render(request, "community/collection.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def collection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first; POST deletes the collection (its papers stay on the site)."""
    try:
        collection = _own_collection(request, pk)
    except Http404:
        return error_page(request, "There is no such collection of yours.", 404)
    if request.method == "GET":
        return render(request, "community/collection_delete.html", {"collection": collection})
    library.delete_collection(collection)
    messages.info(request, f"The collection “{collection.name}” is deleted.")
    return redirect("library")


@login_required
@require_POST
def collection_add(request: HttpRequest) -> HttpResponse:
    """From a paper page: add the paper to one of the member's collections."""
    paper = actions.visible_paper(request.POST.get("paper", ""))
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    try:
        collection = _own_collection(request, int(request.POST.get("collection", "0")))
    except (ValueError, Http404):
        return error_page(request, "There is no such collection of yours.", 404)
    already = CollectionItem.objects.filter(collection=collection, paper=paper).exists()
    try:
        library.add_to_collection(collection, paper)
    except library.LibraryError as exc:
        return error_page(request, str(exc), 400)
    if already:  # adding again keeps its place: say so rather than "Added"
        messages.info(request, f"Already in “{collection.name}”; it keeps its place there.")
    else:
        messages.success(request, f"Added to “{collection.name}”.")
    return redirect(safe_next(request, paper.get_absolute_url()))


@login_required
@require_POST
def collection_item(request: HttpRequest, pk: str, paper_id: str) -> HttpResponse:
    """Remove a paper from the collection, or move it up or down (POST action=…)."""
    try:
        collection = _own_collection(request, int(pk))
    except Http404:
        return error_page(request, "There is no such collection of yours.", 404)
    item = CollectionItem.objects.filter(collection=collection, paper__public_id=paper_id).first()
    if item is None:
        return error_page(request, "That paper is not in this collection.", 404)
    action = request.POST.get("action")
    if action == "remove":
        library.remove_from_collection(collection, item.paper)
    elif action in ("up", "down"):
        library.move_item(collection, item.paper, -1 if action == "up" else 1)
    else:
        return error_page(request, "action must be remove, up or down.", 400)
    return redirect(collection.get_absolute_url() + f"#item-{item.paper_id}")
