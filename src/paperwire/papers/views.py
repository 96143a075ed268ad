"""Pages: the daily, weekly and monthly feed, paper pages and their Markdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from paperwire.papers import feed, org_index
from paperwire.papers.cache import versioned_page
from paperwire.papers.error_page import error_page
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.markdown import paper_markdown
from paperwire.papers.models import Paper


@versioned_page
def daily(request: HttpRequest) -> HttpResponse:
    """Today's feed, or ?date=YYYY-MM-DD. Without a date: the latest day that has papers."""
    raw = request.GET.get("date")
    if raw:
        try:
            period = feed.parse_day(raw)
        except feed.InvalidPeriod as exc:
            return error_page(request, str(exc))
    else:
        today = timezone.now().date()
        period = feed.day(feed.latest_feed_date(today) or feed.latest_feed_date() or today)
    earlier = feed.earlier_feed_date(period.start)
    later = feed.later_feed_date(period.end)
    nav = {
        "prev_url": f"{reverse('daily')}?date={earlier.isoformat()}" if earlier else None,
        "prev_label": feed.format_feed_date(earlier) if earlier else "",
        "next_url": f"{reverse('daily')}?date={later.isoformat()}" if later else None,
        "next_label": feed.format_feed_date(later) if later else "",
    }
    return _render_period(request, period, nav)


@versioned_page
def weekly(request: HttpRequest, week: str) -> HttpResponse:
    return _calendar_period(request, week, feed.parse_week, "weekly")


@versioned_page
def monthly(request: HttpRequest, month: str) -> HttpResponse:
    return _calendar_period(request, month, feed.parse_month, "monthly")


def _calendar_period(
    request: HttpRequest,
    slug: str,
    parse: Callable[[str], feed.FeedPeriod],
    route: str,
) -> HttpResponse:
    """A week or month page: the period, with links to the nearest ones that have papers."""
    try:
        period = parse(slug)
    except feed.InvalidPeriod as exc:
        return error_page(request, str(exc))
    prev, nxt = feed.neighbour_periods(period)
    nav = {
        "prev_url": reverse(route, args=[prev.slug]) if prev else None,
        "prev_label": prev.label if prev else "",
        "next_url": reverse(route, args=[nxt.slug]) if nxt else None,
        "next_label": nxt.label if nxt else "",
    }
    return _render_period(request, period, nav)


def _render_period(
    request: HttpRequest, period: feed.FeedPeriod, nav: dict[str, Any]
) -> HttpResponse:
    paginator = Paginator(feed.entries(period), settings.PAPERWIRE["FEED_PAGE_SIZE"])
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        return error_page(request, "page must be a whole number, e.g. ?page=2")
    except EmptyPage:
        number = int(request.GET.get("page") or 1)
        if paginator.count == 0:
            page = paginator.page(1)
        elif number < 1:
            return error_page(
                request, f"page {number} does not exist: pages run from 1 to {paginator.num_pages}"
            )
        else:
            # Past the last page: nothing is there (404), as on the trending and org pages.
            return error_page(
                request,
                f"page {number} does not exist: pages run from 1 to {paginator.num_pages}",
                status=404,
            )
    nearest = feed.nearest_feed_date(period) if paginator.count == 0 else None
    context = {
        "period": period,
        "page": page,
        "entries": page.object_list,
        "total": paginator.count,
        "nearest": nearest,
        "nearest_label": feed.format_feed_date(nearest, long=True) if nearest else "",
        "week_slug": feed.week_of(period.start).slug,
        "month_slug": feed.month_of(period.start).slug,
        "day_slug": period.start.isoformat(),
        **nav,
    }
    return render(request, "papers/feed.html", context)


def _paper_or_404(paper_id: str) -> Paper:
    qs = Paper.objects.select_related("organization", "feed_entry").prefetch_related(
        "paper_authors__author"
    )
    parsed = parse_arxiv_id(paper_id)
    if parsed is not None and parsed[1] is not None and not qs.filter(public_id=paper_id):
        # A versioned arXiv id (2509.04664v1) names the paper: one page for all versions.
        return get_object_or_404(qs, arxiv_id=parsed[0], hidden=False)
    return get_object_or_404(qs, public_id=paper_id, hidden=False)


def without_version(paper_id: str) -> str | None:
    """'2312.00752' for '2312.00752v1' (when no paper has the versioned id itself);
    None for an id with no version suffix."""
    parsed = parse_arxiv_id(paper_id)
    if parsed is None or parsed[1] is None:
        return None
    return None if Paper.objects.filter(public_id=paper_id).exists() else parsed[0]


def paper_page(request: HttpRequest, paper_id: str) -> HttpResponse:
    """The paper's page; its Markdown for a client that asks for text/markdown (as the
    Hub answers `Accept: text/markdown`)."""
    wants_markdown = prefers_markdown(request.headers.get("Accept", ""))
    request.page_variant = "markdown" if wants_markdown else "html"  # type: ignore[attr-defined]
    view = paper_md if wants_markdown else _paper_html
    response = view(request, paper_id)
    patch_vary_headers(response, ("Accept",))
    return response


def prefers_markdown(accept: str) -> bool:
    """Whether an Accept header ranks text/markdown above HTML (browsers never name it)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.strip().lower()] = quality
    markdown = weights.get("text/markdown", 0.0)
    return markdown > 0 and markdown >= weights.get("text/html", 0.0)


@versioned_page
def _paper_html(request: HttpRequest, paper_id: str) -> HttpResponse:
    if (base := without_version(paper_id)) is not None:
        # arXiv links name a version; the page shows the paper's latest one.
        return redirect(_paper_or_404(base).get_absolute_url())
    paper = _paper_or_404(paper_id)
    entry = getattr(paper, "feed_entry", None)
    return render(
        request,
        "papers/paper.html",
        {
            "paper": paper,
            "entry": entry,
            "feed_date": entry.feed_date if entry else None,
            "page_url": request.build_absolute_uri(paper.get_absolute_url()),
        },
    )


@versioned_page
def paper_md(request: HttpRequest, paper_id: str) -> HttpResponse:
    if (base := without_version(paper_id)) is not None:
        return redirect(reverse("paper_md", args=[_paper_or_404(base).public_id]))
    paper = _paper_or_404(paper_id)
    return HttpResponse(
        paper_markdown(paper, request.build_absolute_uri(paper.get_absolute_url())),
        content_type="text/markdown; charset=utf-8",
    )


def about(request: HttpRequest) -> HttpResponse:
    context = {"gravity": feed.TRENDING_GRAVITY, "recent_days": org_index.RECENT_DAYS}
    return render(request, "about.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico where a page names no icon (feeds, raw files): the
    site's icon. A temporary redirect, since its target is a hashed name that changes with
    the icon, and browsers keep a permanent one for good."""
    response = HttpResponseRedirect(static("paperwire/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = "There is no page here."
    if isinstance(exception, Http404) and exception.args and isinstance(exception.args[0], str):
        if exception.args[0].startswith("No Paper"):
            message = "No paper has this id."
    html = render_to_string("404.html", {"message": message}, request=request)
    return HttpResponse(html, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted with a missing or stale CSRF token (settings.CSRF_FAILURE_VIEW): the
    site's own page, not Django's unstyled one, whose inline styles the CSP blocks.

    htmx swaps nothing on a 403, so a ▲ or ☆ Save sent with a stale token (after a
    log in in another tab) did nothing at all; HX-Refresh reloads the page instead,
    with a fresh token and the state the member has now."""
    response = render(request, "403_csrf.html", status=403)
    if request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_to_string("500.html"), status=500)
