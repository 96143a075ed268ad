"""The site's error page (templates/error.html): what went wrong, in a sentence that says
what to do, with the status it answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def error_page(
    request: HttpRequest, message: str, status: int = 400, *, private: bool = False
) -> HttpResponse:
    """A 4xx (or 5xx) page saying `message`. `private` for a page whose header names the
    member (For you): kept by no cache."""
    response = render(request, "error.html", {"status": status, "message": message}, status=status)
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
