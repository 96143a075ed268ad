"""Community pages around papers: upvotes, comments, submissions, trending,
organization and author pages, and the index of organizations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from paperwire.community import actions, paging, ratelimit
from paperwire.community.forms import CommentForm, ReportForm, SubmitForm
from paperwire.community.models import AuthorClaim, Comment, CommentReport, OrganizationMember
from paperwire.community.templatetags.community import votes_context
from paperwire.papers import feed, org_index
from paperwire.papers.cache import versioned_page
from paperwire.papers.error_page import error_page
from paperwire.papers.models import Author, FeedEntry, Organization, Paper

# Longer than any page of ours links to; Django refuses to redirect past 2,048 characters.
MAX_NEXT_LENGTH = 2000


def safe_next(request: HttpRequest, default: str) -> str:
    """The ?next= (or posted next) address if it is a path on this site, else the default.

    Only a path counts ("/…"): `redirect()` would take anything else for the name of a
    view ("0", "a@b" → NoReverseMatch), and a relative or scheme address leads elsewhere.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and len(target) <= MAX_NEXT_LENGTH
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def _login_redirect(request: HttpRequest, back: str) -> HttpResponse:
    url = f"{reverse('login')}?{urlencode({'next': back})}"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_http_methods(["GET", "POST"])
def upvote(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Set or toggle the member's upvote (POST vote=1|0, none = toggle).

    GET is what an anonymous reader's ▲ links to: log in, then back to the page.
    """
    paper = actions.visible_paper(paper_id)
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    back = safe_next(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return _login_redirect(request, back)
    if request.method == "GET":
        return HttpResponseRedirect(back)
    if not FeedEntry.objects.filter(paper=paper).exists():
        return error_page(request, "This paper is not in the feed yet; submit it first.", 400)
    user = _user(request)
    raw = request.POST.get("vote")
    if raw in ("1", "0"):
        up = raw == "1"
    elif raw is None or raw == "":
        up = not paper.upvote_rows.filter(user=user).exists()
    else:
        return error_page(request, "vote must be 1 (upvote) or 0 (remove the upvote).", 400)
    voted, count = actions.set_vote(user, paper, up)
    if getattr(request, "htmx", False):
        context = votes_context(paper, count, voted, authenticated=True, next_url=back)
        return render(request, "community/_votes.html", context)
    return HttpResponseRedirect(back)


@require_POST
def comment_create(request: HttpRequest, paper_id: str) -> HttpResponse:
    paper = actions.visible_paper(paper_id)
    if paper is None:
        return error_page(request, "No paper has this id.", 404)
    if not request.user.is_authenticated:
        return _login_redirect(request, paper.get_absolute_url() + "#comments")
    user = _user(request)
    form = CommentForm(request.POST)
    parent = None
    if form.is_valid() and form.cleaned_data["parent"]:
        parent = Comment.objects.filter(pk=form.cleaned_data["parent"], paper=paper).first()
        if parent is None or not parent.visible:
            form.add_error("parent", "The comment you reply to does not exist any more.")
    if not form.is_valid():
        return render(
            request, "community/comment_form.html", {"form": form, "paper": paper}, status=400
        )
    try:
        comment = actions.add_comment(user, paper, form.cleaned_data["body"], parent)
    except actions.CommentingTooFast:
        form.add_error(None, "You are commenting very fast; please wait a few minutes.")
        return render(
            request, "community/comment_form.html", {"form": form, "paper": paper}, status=429
        )
    return redirect(comment.get_absolute_url())


def _own_comment(request: HttpRequest, pk: int) -> Comment | HttpResponse:
    comment = Comment.objects.select_related("paper").filter(pk=pk).first()
    if comment is None or comment.hidden or comment.deleted or comment.paper.hidden:
        return error_page(request, "There is no such comment.", 404)
    if comment.author_id != request.user.pk:
        return error_page(request, "You can only change your own comments.", 403)
    return comment


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own_comment(request, pk)
    if isinstance(found, HttpResponse):
        return found
    comment = found
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            actions.edit_comment(comment, form.cleaned_data["body"])
            return redirect(comment.get_absolute_url())
        context = {"form": form, "comment": comment, "paper": comment.paper}
        return render(request, "community/comment_edit.html", context, status=400)
    form = CommentForm(initial={"body": comment.body})
    context = {"form": form, "comment": comment, "paper": comment.paper}
    return render(request, "community/comment_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first (a page with the comment and a button); POST deletes."""
    found = _own_comment(request, pk)
    if isinstance(found, HttpResponse):
        return found
    if request.method == "GET":
        context = {"comment": found, "paper": found.paper}
        return render(request, "community/comment_delete.html", context)
    actions.delete_comment(found)
    messages.info(request, "Your comment is deleted.")
    return redirect(found.paper.get_absolute_url() + "#comments")


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = Comment.objects.select_related("paper", "author").filter(pk=pk).first()
    if comment is None or not comment.visible or comment.paper.hidden:
        return error_page(request, "There is no such comment.", 404)
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"form": form, "comment": comment}
            return render(request, "community/report.html", context, status=400)
        try:
            with transaction.atomic():
                CommentReport.objects.create(
                    comment=comment, reporter=_user(request), reason=form.cleaned_data["reason"]
                )
        except IntegrityError:
            pass  # reported before: once is enough
        messages.info(request, "Thank you: moderators will look at this comment.")
        return redirect(comment.get_absolute_url())
    return render(request, "community/report.html", {"form": form, "comment": comment})


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    form = SubmitForm(request.POST or None)
    if request.method == "POST":
        user = _user(request)
        if not ratelimit.allowed(request, "submit", str(user.pk)):
            form.add_error(None, "Too many submissions; please wait a while and try again.")
            return render(request, "community/submit.html", {"form": form}, status=429)
        if form.is_valid():
            try:
                paper, joined = actions.submit_paper(user, form.cleaned_data["arxiv"])
            except actions.UpstreamUnavailable as exc:
                # The member's input is fine; arXiv is not answering: a 503 to retry later.
                form.add_error("arxiv", str(exc))
                response = render(request, "community/submit.html", {"form": form}, status=503)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except actions.NotAllowed as exc:
                form.add_error("arxiv", str(exc))
            else:
                if joined:
                    messages.success(request, "Thank you: the paper is in today's feed.")
                else:
                    messages.info(request, "This paper is already in the feed: you upvoted it.")
                return redirect(paper.get_absolute_url())
        return render(request, "community/submit.html", {"form": form}, status=400)
    return render(request, "community/submit.html", {"form": form})


@versioned_page
def trending(request: HttpRequest) -> HttpResponse:
    try:
        number = paging.page_number(request)
    except paging.BadPage as exc:
        return error_page(request, str(exc), 400)
    entries, more = paging.window(feed.entries(None, "trending"), number)
    if not entries and number > 1:
        return error_page(request, "There is no such page of trending papers.", 404)
    context = {
        "entries": entries,
        "gravity": feed.TRENDING_GRAVITY,
        "nav_active": "trending",
        "pager": paging.pager(request, number, more),
    }
    return render(request, "community/trending.html", context)


def _paper_lists(
    request: HttpRequest, entries: QuerySet[FeedEntry], others: QuerySet[Paper]
) -> dict[str, Any] | HttpResponse:
    """One page of a page's feed entries and of its papers outside the feed, both by ?page."""
    try:
        number = paging.page_number(request)
    except paging.BadPage as exc:
        return error_page(request, str(exc), 400)
    shown, more_entries = paging.window(entries, number)
    other_papers, more_others = paging.window(others, number)
    if not shown and not other_papers and number > 1:
        return error_page(request, "There is no such page of papers.", 404)
    pager = paging.pager(request, number, more_entries or more_others)
    return {"entries": shown, "other_papers": other_papers, "pager": pager}


@versioned_page
def organizations(request: HttpRequest) -> HttpResponse:
    """/orgs: every organization with a visible paper, most active first (?sort=), with a
    filter on handle and full name (?q=), fifty a page."""
    try:
        number = paging.page_number(request)
        sort = org_index.check_sort(request.GET.get("sort", ""))
        text = org_index.check_filter(request.GET.get("q", ""))
    except (paging.BadPage, org_index.BadIndexQuery) as exc:
        return error_page(request, str(exc), 400)
    orgs, more = paging.window(org_index.organization_index(text, sort), number)
    if not orgs and number > 1:
        return error_page(request, "There is no such page of organizations.", 404)

    def sort_url(name: str) -> str:
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("sort", None)
        if name != org_index.DEFAULT_SORT:
            query["sort"] = name
        encoded = query.urlencode()
        return request.path + (f"?{encoded}" if encoded else "")

    context = {
        "orgs": orgs,
        "q": text,
        "sort": sort,
        "sorts": [(label, sort_url(name), name == sort) for name, label in org_index.SORTS.items()],
        "recent_days": org_index.RECENT_DAYS,
        "max_filter": org_index.MAX_FILTER,
        "pager": paging.pager(request, number, more),
    }
    return render(request, "community/organizations.html", context)


def organization_page(request: HttpRequest, name: str) -> HttpResponse:
    org = Organization.named(name)
    if org is None:
        return error_page(request, "No organization has this handle.", 404)
    if org.name != name:  # another case: to the one address every link of the site uses
        url = reverse("organization", args=[org.name])
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
    members = OrganizationMember.objects.filter(
        organization=org, user__is_active=True
    ).select_related("user", "user__profile")
    lists = _paper_lists(
        request,
        feed.entries(None, "publishedAt").filter(paper__organization=org),
        Paper.objects.filter(organization=org, hidden=False, feed_entry__isnull=True).order_by(
            F("published_at").desc(nulls_last=True), "pk"
        ),
    )
    if isinstance(lists, HttpResponse):
        return lists
    context = {"org": org, "members": members, **lists}
    return render(request, "community/organization.html", context)


def author_slug_redirect(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """/authors/<id>-<any words>: a permanent redirect to /authors/<id>, the one address
    every link of the site uses (names change when author records merge; ids do not)."""
    author = get_object_or_404(Author, pk=pk)
    url = reverse("author", args=[author.pk])
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def author_page(request: HttpRequest, pk: int) -> HttpResponse:
    author = get_object_or_404(Author, pk=pk)
    lists = _paper_lists(
        request,
        feed.entries(None, "publishedAt").filter(paper__paper_authors__author=author).distinct(),
        Paper.objects.filter(paper_authors__author=author, hidden=False, feed_entry__isnull=True)
        .distinct()
        .order_by(F("published_at").desc(nulls_last=True), "pk"),
    )
    if isinstance(lists, HttpResponse):
        return lists
    claimed = AuthorClaim.objects.filter(
        author=author, status=AuthorClaim.APPROVED, user__is_active=True
    ).select_related("user")
    mine = None
    if request.user.is_authenticated:
        mine = AuthorClaim.objects.filter(author=author, user=_user(request)).first()
    context = {"author": author, "claimed_by": claimed, "my_claim": mine, **lists}
    return render(request, "community/author.html", context)


@login_required
@require_POST
def author_claim(request: HttpRequest, pk: int) -> HttpResponse:
    author = get_object_or_404(Author, pk=pk)
    _, created = AuthorClaim.objects.get_or_create(author=author, user=_user(request))
    if created:
        messages.info(request, "Your claim is sent; staff will review it.")
    return redirect("author", pk=author.pk)
