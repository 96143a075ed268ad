"""schemathesis against our own /api/openapi.json, in process through the WSGI app: with a
fixed seed and a bounded number of examples per operation, any 5xx, an answer that breaks
the schema, an undocumented status, a schema-valid request that is rejected or an invalid
one that is accepted fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings

from hubspec import HUB_DAILY_FILE
from paperwire.papers.transfer import import_file
from paperwire.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

# Enough to find each of the defects issue 16 listed, few enough for a busy 2-core machine.
EXAMPLES_PER_OPERATION = 60


# A write token, so the endpoints that act for a member are fuzzed past their 401.
TOKEN: dict[str, str] = {}


@pytest.fixture(autouse=True)
def site(demo_feed: None, settings: Any) -> Iterator[None]:
    from django.contrib.auth.models import User

    from paperwire.community.ratelimit import Limit
    from paperwire.community.tokens import create_token

    assert not import_file(HUB_DAILY_FILE).problems
    member = User.objects.create_user("fuzzer", "fuzzer@example.org", "a long fuzzing password")
    TOKEN["value"] = create_token(member, "fuzz", "write")[1]
    # Hundreds of requests a minute: the per-token budgets are not what is fuzzed here.
    settings.PAPERWIRE_RATE_LIMITS = {
        scope: Limit(1_000_000, 60) for scope in ("api-read", "api-write", "comment-account")
    }
    # As Django's test client does: a request must not close the test's connection
    # (its transaction holds the data).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@seed(20261203)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)  # fmt: skip
def test_api_answers_as_its_schema_says(case: Any) -> None:
    # Bodies uncompressed: the test reads them as they are.
    # Where the case carries the bearer header (made up by schemathesis), a real token
    # takes its place; a case that leaves it out on purpose stays without one.
    if case.headers and "Authorization" in case.headers:
        case.headers["Authorization"] = f"Bearer {TOKEN['value']}"
    case.call_and_validate(headers={"Accept-Encoding": "identity"})
