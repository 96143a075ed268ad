"""What a personal access token opens: GET /api/whoami-v2 (the Hub's shape, so `hf auth
whoami` names the member), GET /api/me/for-you, and the member's saves."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query

from paperwire.api.auth import TOKEN, token_of
from paperwire.api.context import hub_context
from paperwire.api.me_schemas import ForYouItemOut, SavedOut, SaveOut, WhoAmIOut
from paperwire.api.papers import find_public_paper
from paperwire.api.responses import MAX_LIMIT, error, json_response
from paperwire.api.schemas import Error
from paperwire.community import library
from paperwire.community.models import OrganizationMember, Profile
from paperwire.papers import feed
from paperwire.papers.hfjson import daily_item_json
from paperwire.papers.ids import hub_id
from paperwire.papers.records import iso_z
from paperwire.recommend.candidates import MAX_DAYS
from paperwire.recommend.ranking import for_you

AUTH_ERRORS = {401: Error, 403: Error, 429: Error}


def whoami(request: HttpRequest) -> HttpResponse:
    """The token's owner as the Hub describes a user: name, full name, e-mail, the
    organizations they belong to, and the token's name and role (read or write)."""
    token = token_of(request)
    user = token.user
    profile = Profile.objects.filter(user=user).first()
    orgs = [
        {
            "type": "org",
            "id": hub_id("organization", m.organization.pk),
            "name": m.organization.name,
            "fullname": m.organization.display_name,
            "email": None,
            "canPay": False,
            "avatarUrl": m.organization.avatar,
            "periodEnd": None,
        }
        for m in OrganizationMember.objects.filter(user=user).select_related("organization")
    ]
    return json_response(
        {
            "type": "user",
            "id": hub_id("user", user.pk),
            "name": user.username,
            "fullname": (profile.display_name if profile else "")
            or user.get_full_name()
            or user.username,
            "email": user.email or None,
            "emailVerified": bool(profile and profile.email_verified),
            "canPay": False,
            "isPro": False,
            "avatarUrl": "",
            "periodEnd": None,
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {
                    "displayName": token.name,
                    "role": token.scope,
                    "createdAt": iso_z(token.created),
                },
            },
        }
    )


def my_for_you(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Papers, best first"),
    days: int = Query(None, ge=1, le=MAX_DAYS, description="Feed days ranked (default 7)"),
) -> HttpResponse:
    """The member's "For you" ranking, best first: items as /api/daily_papers gives them,
    each with `reason`, why it is there. The mode (model, topics or trending) is in the
    `X-For-You-Mode` header."""
    if not getattr(settings, "PAPERWIRE_FOR_YOU", True):
        return error("For you is turned off on this site", 404)
    ranked = for_you(token_of(request).user, limit=limit, days=days)
    ids = [p.paper_id for p in ranked.picks]
    entries = {e.paper_id: e for e in feed.entries(None).filter(paper_id__in=ids)}
    shown = [(p, entries[p.paper_id]) for p in ranked.picks if p.paper_id in entries]
    context = hub_context(entry.paper for _, entry in shown)
    items: list[dict[str, Any]] = [
        {**daily_item_json(entry, context), "reason": pick.reason} for pick, entry in shown
    ]
    response = json_response(items)
    response["X-For-You-Mode"] = ranked.mode
    return response


def my_saves(
    request: HttpRequest,
    show: str = Query("all", pattern="^(all|read|unread)$", description="all, read or unread"),
) -> HttpResponse:
    """The member's reading list, newest first."""
    saves = library.reading_list(token_of(request).user, show)[:1000]
    return json_response(
        [
            {
                "id": s.paper.public_id,
                "title": s.paper.title,
                "savedAt": iso_z(s.created),
                "read": s.read_at is not None,
                "readAt": iso_z(s.read_at) if s.read_at else None,
            }
            for s in saves
        ]
    )


def _save(request: HttpRequest, paper_id: str, saved: bool) -> HttpResponse:
    paper = find_public_paper(paper_id)
    if paper is None:
        return error(f"no paper with id {paper_id[:80]!r}", 404)
    library.set_saved(token_of(request).user, paper, saved)
    return json_response({"id": paper.public_id, "saved": saved})


def save_paper(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Save the paper to the member's library (again is fine)."""
    return _save(request, paper_id, True)


def unsave_paper(request: HttpRequest, paper_id: str) -> HttpResponse:
    """Take the paper out of the member's library (not saved is fine)."""
    return _save(request, paper_id, False)


def register(api: NinjaAPI) -> None:
    api.get(
        "/whoami-v2",
        response={200: WhoAmIOut, **AUTH_ERRORS},
        summary="Who the token belongs to (the Hub's shape)",
        tags=["me"],
        auth=TOKEN,
        by_alias=True,
    )(whoami)
    api.get(
        "/me/for-you",
        response={200: list[ForYouItemOut], 400: Error, 404: Error, **AUTH_ERRORS},
        summary="Papers ranked for the token's owner",
        tags=["me"],
        auth=TOKEN,
        by_alias=True,
    )(my_for_you)
    api.get(
        "/me/saves",
        response={200: list[SaveOut], 400: Error, **AUTH_ERRORS},
        summary="The reading list",
        tags=["me"],
        auth=TOKEN,
    )(my_saves)
    api.post(
        "/me/saves/{path:paper_id}",
        response={200: SavedOut, 404: Error, **AUTH_ERRORS},
        summary="Save a paper (write scope)",
        tags=["me"],
        auth=TOKEN,
    )(save_paper)
    api.delete(
        "/me/saves/{path:paper_id}",
        response={200: SavedOut, 404: Error, **AUTH_ERRORS},
        summary="Remove a paper from the library (write scope)",
        tags=["me"],
        auth=TOKEN,
    )(unsave_paper)
