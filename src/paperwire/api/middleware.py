"""Every answer under /api/ is JSON, whatever its status and whoever made it: Django's
404 for a path no route matches (or one with a newline, which no route takes), ninja's
405 for a method, the 500 page. HEAD is answered as GET is."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

from paperwire.api.responses import error

API_PREFIX = "/api/"


class HeadAsGet:
    """HEAD on an /api/ path is answered by its GET route, as Django's own views answer
    HEAD on the pages: ninja matches the method exactly and would say 405. The view and
    the middleware inside this one see a GET, so the status and headers (ETag, gzip) are
    GET's; the server sends no body for a HEAD (granian, runserver and the test client
    drop it). The routes, and so the OpenAPI document, stay GET only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.method = "GET"
        try:
            return self.get_response(request)
        finally:
            request.method = "HEAD"


class JsonApiErrors:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        if status == 404:
            where = request.path[:200]
            message = f"no API endpoint at {where!r}; the endpoints are listed at /api/docs"
        else:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        answer = error(message[0].lower() + message[1:], status)
        for header in ("Allow", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer
