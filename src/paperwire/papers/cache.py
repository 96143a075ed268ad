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
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers, set_response_etag
from django.utils.http import http_date
from django.utils.text import compress_string

from paperwire.papers.store import current_data_version

View = Callable[..., HttpResponse]

# The hottest pages also kept in this process, so a hit skips the shared cache's query
# and decoding. Safe with many processes: keys hold the data version and its time,
# read from the database on every request, so a change anywhere retires them at once.
process_pages = LocMemCache("paperwire-pages", {"OPTIONS": {"MAX_ENTRIES": 100}})

# Headers a view sets that belong to the page, kept with it in the cache.
KEPT_HEADERS = ("Link", "Vary")


def versioned_page(view: View) -> View:
    """Cache a GET view's 200 responses for anonymous users until the data changes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        version, changed_at = current_data_version()
        cacheable = request.method in ("GET", "HEAD") and not _has_session(request)
        key = local_key = ""
        if cacheable:
            # A view that answers one URL in several forms (HTML or Markdown by Accept)
            # names the form in request.page_variant. The scheme and host are part of
            # the key: paper pages (canonical, og:url), feeds and the API's Link header
            # hold absolute URLs made from the request, as Django's feeds make them.
            variant = getattr(request, "page_variant", "")
            digest = hashlib.sha1(
                f"{variant}|{request.build_absolute_uri()}".encode(), usedforsecurity=False
            )
            key = f"page:{version}:{digest.hexdigest()}"
            local_key = f"{key}:{changed_at.timestamp()}" if changed_at is not None else ""
            hit = process_pages.get(local_key) if local_key else None
            if hit is None:
                hit = cache.get(key)
                if hit is not None and local_key:
                    process_pages.set(local_key, hit, _seconds())
            if hit is not None:
                return _cached_response(request, hit, changed_at, key, local_key)
        response = view(request, *args, **kwargs)
        if cacheable and response.status_code == 200 and not response.streaming:
            # The ETag ConditionalGetMiddleware would compute, hashed once per version
            # instead of on every hit.
            set_response_etag(response)
            kept = {name: response[name] for name in KEPT_HEADERS if name in response}
            entry = (response.content, response["Content-Type"], response.get("ETag"), None, kept)
            _store(key, local_key, entry)
        # A signed-in page differs from the anonymous one of the same data version:
        # no Last-Modified, so a browser never revalidates one into the other.
        return _stamp(response, None if _has_session(request) else changed_at)

    return wrapper


def _cached_response(
    request: HttpRequest, entry: tuple[Any, ...], changed_at: Any, key: str, local_key: str
) -> HttpResponse:
    content, content_type, etag = entry[0], entry[1], entry[2] if len(entry) > 2 else None
    kept: dict[str, str] = entry[4] if len(entry) > 4 else {}
    response = HttpResponse(content, content_type=content_type)
    if etag:
        response["ETag"] = etag
    for name, value in kept.items():
        response[name] = value
    _stamp(response, changed_at)
    if len(content) < 200 or not re_accepts_gzip.search(
        request.META.get("HTTP_ACCEPT_ENCODING", "")
    ):
        return response
    # What GZipMiddleware would send, compressed once per version rather than on every
    # request (it cost more than the rest of a hit). No BREACH concern: these pages are
    # the same for every visitor and hold no secret.
    gzipped = entry[3] if len(entry) > 3 else None
    if gzipped is None:
        gzipped = compress_string(content, max_random_bytes=GZipMiddleware.max_random_bytes)
        _store(key, local_key, (content, content_type, etag, gzipped, kept))
    if len(gzipped) >= len(content):
        return response
    response.content = gzipped
    patch_vary_headers(response, ("Accept-Encoding",))
    if etag and etag.startswith('"'):
        response["ETag"] = "W/" + etag
    response["Content-Encoding"] = "gzip"
    return response


def _store(key: str, local_key: str, entry: tuple[Any, ...]) -> None:
    cache.set(key, entry, _seconds())
    if local_key:
        process_pages.set(local_key, entry, _seconds())


def _seconds() -> int:
    return int(settings.PAPERWIRE["RESPONSE_CACHE_SECONDS"])


def _has_session(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _stamp(response: HttpResponse, changed_at: Any) -> HttpResponse:
    if changed_at is not None and response.status_code == 200:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    patch_vary_headers(response, ("Cookie",))
    return response
