"""A member's own data through the API: GET /api/me/data (the same JSON as "Download my
data") and DELETE /api/me (the account, as "Delete my account" does; the password in the
body as well as a write token, so a leaked token alone cannot end an account)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from pydantic import ConfigDict, Field

from paperwire.api.auth import TOKEN, token_of
from paperwire.api.me import AUTH_ERRORS
from paperwire.api.responses import error, json_response
from paperwire.api.schemas import Error
from paperwire.community import ratelimit
from paperwire.userdata.deletion import delete_account
from paperwire.userdata.export import user_data


class DeleteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=200, description="The account's password")


def my_data(request: HttpRequest) -> HttpResponse:
    """Everything about the account, as one JSON object: profile, upvotes, saves,
    collections, comments, subscriptions and tokens (without secrets)."""
    return json_response(user_data(token_of(request).user))


def delete_me(request: HttpRequest, body: DeleteIn) -> HttpResponse:
    """Delete the account: its votes, saves, collections, subscriptions and tokens go;
    its comments stay in their threads as "[deleted]". Needs the password too."""
    user = token_of(request).user
    if not ratelimit.hit("delete-account", str(user.pk)):
        return error("too many attempts; please wait a few minutes", 429)
    if not user.check_password(body.password):
        return error("that is not the account's password; nothing was deleted", 403)
    username = user.username
    delete_account(user)
    return json_response({"deleted": username})


def register(api: NinjaAPI) -> None:
    api.get(
        "/me/data",
        response={200: dict[str, object], **AUTH_ERRORS},
        summary="Download my data (read scope)",
        tags=["me"],
        auth=TOKEN,
    )(my_data)
    api.delete(
        "/me",
        response={200: dict[str, str], 400: Error, **AUTH_ERRORS},
        summary="Delete my account (write scope and the password)",
        tags=["me"],
        auth=TOKEN,
    )(delete_me)
