"""Fixed-window rate limits, counted in the database.

Every process counts in one table with one atomic statement (an upsert that returns the
new count), so the limits hold under parallel requests to many web processes: the
(N+1)-th of N+1 simultaneous attempts is refused, never let through.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from paperwire.clientaddr import rate_limit_key
from paperwire.community.models import RateCounter
from paperwire.limits import DEFAULT_LIMITS, Limit

__all__ = ["DEFAULT_LIMITS", "Limit", "allowed", "count_attempt", "hit", "limit_for"]


def limit_for(scope: str) -> Limit:
    """The scope's limit: PAPERWIRE_RATE_LIMITS (the environment's, settings.py) over
    the default."""
    overrides = getattr(settings, "PAPERWIRE_RATE_LIMITS", {})
    return overrides.get(scope, DEFAULT_LIMITS[scope])


def count_attempt(scope: str, key: str, seconds: int) -> int:
    """Count one attempt in the (scope, key) window of `seconds` that began with its
    first attempt; returns the window's count including this one. One statement, atomic
    on SQLite and on PostgreSQL (SET expressions see the row as it was)."""
    now = time.time()
    digest = hashlib.sha256(f"{scope}:{key.casefold()}".encode()).hexdigest()[:32]
    q = connection.ops.quote_name
    table, k, n = q(RateCounter._meta.db_table), q("key"), q("count")
    started, expires = q("started"), q("expires")
    over = f"{table}.{expires} <= %s"
    sql = (
        f"INSERT INTO {table} ({k}, {n}, {started}, {expires}) VALUES (%s, 1, %s, %s) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({k}) DO UPDATE SET "
        f"{n} = CASE WHEN {over} THEN 1 ELSE {table}.{n} + 1 END, "
        f"{started} = CASE WHEN {over} THEN %s ELSE {table}.{started} END, "
        f"{expires} = CASE WHEN {over} THEN %s ELSE {table}.{expires} END "
        f"RETURNING {n}"
    )
    end = now + seconds
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, now, end, now, now, now, now, end])
        row = cursor.fetchone()
    return int(row[0])


def hit(scope: str, key: str) -> bool:
    """Count one attempt; False when the attempt is over the limit."""
    limit = limit_for(scope)
    return count_attempt(scope, key, limit.seconds) <= limit.count


def forget_expired() -> int:
    """Delete counters of windows that are over (the worker, every poll)."""
    deleted, _ = RateCounter.objects.filter(expires__lt=time.time()).delete()
    return deleted


def allowed(request: HttpRequest, action: str, account: str | None) -> bool:
    """Count an attempt against the per-address and (when given) per-account limits."""
    ok = hit(f"{action}-ip", rate_limit_key(request))
    if account and f"{action}-account" in DEFAULT_LIMITS:
        ok = hit(f"{action}-account", account) and ok
    return ok
