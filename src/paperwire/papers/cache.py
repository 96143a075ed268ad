"""Whole-response caching for public pages, keyed by the data version.

Every process reads the version from the database, so a write seen by one
web process renews the pages of all of them; Last-Modified comes from the
same row.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from paperwire.papers.store import current_data_version

View = Callable[..., HttpResponse]


def versioned_page(view: View) -> View:
    """Cache a GET view's 200 responses for anonymous users until the data changes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        version, changed_at = current_data_version()
        cacheable = request.method in ("GET", "HEAD") and not _has_session(request)
        key = ""
        if cacheable:
            digest = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False)
            key = f"page:{version}:{digest.hexdigest()}"
            hit = cache.get(key)
            if hit is not None:
                response = HttpResponse(hit[0], content_type=hit[1])
                return _stamp(response, changed_at)
        response = view(request, *args, **kwargs)
        if cacheable and response.status_code == 200 and not response.streaming:
            seconds = settings.PAPERWIRE["RESPONSE_CACHE_SECONDS"]
            cache.set(key, (response.content, response["Content-Type"]), seconds)
        return _stamp(response, changed_at)

    return wrapper


def _has_session(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _stamp(response: HttpResponse, changed_at: Any) -> HttpResponse:
    if changed_at is not None and response.status_code == 200:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response
