"""Bearer authentication with personal access tokens (community.tokens), their scopes
and their rate limits: every answer of a refusal is JSON like every other error."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from paperwire.api.responses import error
from paperwire.community import ratelimit
from paperwire.community.models import AccessToken
from paperwire.community.tokens import find_token

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TokenRefused(Exception):
    """No token, or one that is not (or no longer) valid."""


class ScopeMissing(Exception):
    """A read token used to write."""


class RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many requests with this token; try again in {seconds} s")
        self.seconds = seconds


class PersonalToken(HttpBearer):
    """`Authorization: Bearer <token>`. Writes need the write scope; each token has its
    own budget of reads and of writes a minute (ratelimit's api-read, api-write)."""

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        row = find_token(token.strip())
        if row is None:
            raise TokenRefused
        write = request.method in WRITE_METHODS
        if write and not row.can_write:
            raise ScopeMissing
        scope = "api-write" if write else "api-read"
        if not ratelimit.hit(scope, str(row.pk)):
            raise RateLimited(ratelimit.limit_for(scope).seconds)
        return row


TOKEN = PersonalToken()


def token_of(request: HttpRequest) -> AccessToken:
    row = getattr(request, "auth", None)
    assert isinstance(row, AccessToken)
    return row


def register_errors(api: NinjaAPI) -> None:
    @api.exception_handler(AuthenticationError)
    def no_token(request: HttpRequest, exc: Any) -> HttpResponse:
        response = error("this needs a token: Authorization: Bearer <token>", 401)
        response["WWW-Authenticate"] = 'Bearer realm="paperwire"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own refusals (an unreadable body: "Cannot parse request body"), in
        # the API's {"error": …} shape.
        message = str(exc) or "bad request"
        return error(message[0].lower() + message[1:], exc.status_code)

    @api.exception_handler(TokenRefused)
    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        response = error("invalid or revoked token", 401)
        response["WWW-Authenticate"] = 'Bearer realm="paperwire", error="invalid_token"'
        return response

    @api.exception_handler(ScopeMissing)
    def read_only(request: HttpRequest, exc: Any) -> HttpResponse:
        return error("this token can only read: writing needs a token with the write scope", 403)

    @api.exception_handler(RateLimited)
    def limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = error(str(exc), 429)
        response["Retry-After"] = str(exc.seconds)
        return response
