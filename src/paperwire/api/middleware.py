"""Every answer under /api/ is JSON, whatever its status and whoever made it: Django's
404 for a path no route matches (or one with a newline, which no route takes), ninja's
405 for a method, the 500 page."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

from paperwire.api.responses import error

API_PREFIX = "/api/"


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
            message = f"no API endpoint at {request.path[:200]!r}"
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
