"""Site-wide request hygiene: control characters stop at the door, and every answer
carries the browser security headers Django does not set itself.

Query strings and form fields reach XML (feeds), HTML, mail headers, SQL LIKE patterns
and PostgreSQL, which cannot hold NUL. Rather than each view remembering to clean what
it reads, this middleware hands every view a request whose GET and POST values carry no
control characters (tab, newline and carriage return stay: a comment has lines).
Passwords are left as typed: changing one would lock its owner out. A path with a
control character names nothing here and is answered 404 (as any address that names
nothing; the JSON API's clients and its schema expect a 404 for an unknown paper id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict

from paperwire.papers.control_chars import has_control_chars, strip_control_chars
from paperwire.papers.error_page import error_page

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BAD_PATH = "There is nothing here: the address contains control characters."


def _cleaned(values: QueryDict, *, keep: Callable[[str], bool]) -> _ImmutableQueryDict:
    if not any(
        has_control_chars(key) or any(has_control_chars(v) for v in items)
        for key, items in values.lists()
    ):
        return cast("_ImmutableQueryDict", values)
    cleaned = QueryDict(mutable=True, encoding=values.encoding)
    for key, items in values.lists():
        if keep(key):
            cleaned.setlist(key, items)
        else:
            cleaned.setlist(strip_control_chars(key), [strip_control_chars(v) for v in items])
    cleaned._mutable = False
    return cast("_ImmutableQueryDict", cleaned)


def _is_password(key: str) -> bool:
    return "password" in key


def _keep_nothing(key: str) -> bool:
    return False


class CleanInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control_chars(request.path_info):
            return _bad_path(request)
        request.GET = _cleaned(request.GET, keep=_keep_nothing)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            request.POST = _cleaned(request.POST, keep=_is_password)
        return self.get_response(request)


def _bad_path(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        body = json.dumps({"error": BAD_PATH})
        return HttpResponse(body, status=404, content_type="application/json")
    return error_page(request, BAD_PATH, 404)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (settings.py
    holds both). Django's SecurityMiddleware sets HSTS, nosniff and the referrer policy;
    XFrameOptionsMiddleware sets X-Frame-Options."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
