"""Hostile values on every URL pattern: no request may answer 5xx.

The patterns come from the resolver itself, so a route is swept the day it is added.
Each is requested with its query string, its form fields (POST) and its path parameters
set to what an attacker or an unlucky client sends: NUL and other control characters,
huge strings, odd Unicode, markup, SQL-ish text, odd numbers and dates, path traversal,
other sites, header injection, bytes that are not UTF-8. Requests go through Django's
test client as a logged-in staff member (admin pages included) with a real session and
CSRF token, so forms are really submitted.

Bounded, to stay well under a minute on a busy two-core machine: every value goes into
every route's query string; each route gets a rotating half of the values as its form
and a third in its path (most hostile paths are a 404 before any view code), the
admin's ninety generated patterns (Django's own code) a rotating sixteenth, so that
across routes every value is still sent every way. On PostgreSQL the sweep repeats
with the values whose fate can depend on the database.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

PASSWORD = "correct horse battery staple 42"

HOSTILE: list[str] = [
    "\x00",
    "a\x01b\x0bc\x1f\x7f\x85\u2028\ufeff\ufffe\U0010ffff",
    "x" * 20_000,
    "💥 ünïcödé \u202egnp.exe",
    '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "%' OR '1'='1' -- _\\",
    "-1",
    "0",
    "99999999999999999999999999",
    "2026-13-45",
    "../../etc/passwd",
    "//evil.example/",
    "a@b",
    "author:x " * 200,
    "\r\nSet-Cookie: x=1",
]
# Bytes that are not UTF-8 at all (a lone surrogate, a stray byte): only percent-encoded.
RAW_ENCODED = ["%ed%a0%80%ff"]
# What reaches SQL differently on the two databases (NUL, text, LIKE patterns, integers
# out of range, many search terms); the rest is decided before any query.
DATABASE_SENSITIVE = [HOSTILE[i] for i in (0, 1, 2, 3, 6, 7, 9, 14)]

# Every name a view or the API reads from a query string or a form (and a few more).
FIELDS = [
    "q", "page", "p", "sort", "date", "week", "month", "limit", "next", "email", "format",
    "period", "submitter", "vote", "body", "parent", "reason", "arxiv", "username",
    "password", "display_name", "bio", "links", "frequency", "categories", "keywords",
    "authors", "organizations", "old_password", "new_password1", "new_password2", "o", "e",
]  # fmt: skip
# Every field set to one value, encoded once (quoting 33 copies of 20 kB for each request
# would be a good part of the sweep's time).
ENCODED_FIELDS = {value: urlencode(dict.fromkeys(FIELDS, value)) for value in HOSTILE}

# Path parameters that name real objects, so hostile query strings and forms reach the
# views' depths; the `site` fixture adds the ids it creates.
VALID = {
    "week": "2026-W02",
    "month": "2026-01",
    "paper_id": "2401.01234",
    "category": "cs.CL",
    "name": "tencent",
    "username": "sweeper",
    "app_label": "papers",
    "model_name": "paper",
    "uidb64": "MQ",
}

_GROUP = re.compile(r"\(\?P<(\w+)>")
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass
class Route:
    name: str
    template: str  # "/papers/{paper_id}/upvote"
    params: list[str]

    @property
    def admin(self) -> bool:
        return self.template.startswith("/admin/")

    def fill(self, values: dict[str, str]) -> str:
        path = self.template
        for param in self.params:
            path = path.replace("{" + param + "}", values.get(param, "1"))
        return path


def _regex_template(regex: str) -> tuple[str, list[str]]:
    """'^papers/(?P<paper_id>[A-Z](?:x)?)\\.md$' -> ('papers/{paper_id}.md', ['paper_id'])."""
    out, params, i = "", [], 0
    while i < len(regex):
        match = _GROUP.match(regex, i)
        if match:  # a named group, nested parentheses and all, becomes its placeholder
            depth, j = 1, match.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[j], 0) if regex[j - 1] != "\\" else 0
                j += 1
            params.append(match.group(1))
            out += "{" + match.group(1) + "}"
            i = j
        elif regex[i] == "\\" and i + 1 < len(regex):
            out += regex[i + 1]
            i += 2
        else:
            out += regex[i] if regex[i] not in "^$" else ""
            i += 1
    return out, params


def routes() -> list[Route]:
    """Every URL pattern of the site, from the resolver."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, prefix_params: list[str]) -> None:
        for pattern in patterns:
            if isinstance(pattern.pattern, RoutePattern):
                route = str(pattern.pattern)
                part, params = _ROUTE_PARAM.sub(r"{\1}", route), _ROUTE_PARAM.findall(route)
            else:
                assert isinstance(pattern.pattern, RegexPattern)
                part, params = _regex_template(str(pattern.pattern))
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + part, prefix_params + params)
            else:
                assert isinstance(pattern, URLPattern)
                name = pattern.name or pattern.lookup_str
                found.append(Route(name, "/" + prefix + part, prefix_params + params))

    walk(get_resolver().url_patterns, "", [])
    return found


@pytest.fixture
def site(backend: str, small_feed: Any, settings: Any) -> dict[str, str]:
    """A staff member, a comment, an author, a subscription: ids the patterns can use."""
    # Every login and password form hashes what it is sent: Argon2 would be most of the
    # sweep's time, and the hasher is not what is under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.models import User

    from paperwire.community.actions import add_comment
    from paperwire.community.models import Notification, Profile
    from paperwire.community.notifications import mail_off_token
    from paperwire.digests.models import Subscription
    from paperwire.papers.models import Author, Paper

    user = User.objects.create_superuser("sweeper", "sweeper@example.org", PASSWORD)
    Profile.objects.create(user=user, email_verified=True)
    paper = Paper.objects.get(arxiv_id="2401.01234")
    comment = add_comment(user, paper, "Fine.", None)
    # A reply gives the sweeper a notification to open.
    replier = User.objects.create_user("replier", "replier@example.org", PASSWORD)
    reply = add_comment(replier, paper, "Agreed.", comment)
    notification = Notification.objects.get(recipient=user, comment=reply)
    subscription = Subscription.objects.create(email="reader@example.org", status="active")
    # The API's member endpoints take a personal token, not the session: with a write
    # token the sweep reaches their views instead of their 401.
    return {
        "bearer": _new_bearer(),
        **VALID,
        "pk": str(comment.pk),
        "author_id": str(Author.objects.get(name="Ada Lovelace").pk),
        "slug": "ada-lovelace",
        "token": subscription.feed_token,
        "object_id": str(user.pk),
        # Values for one route only ("route name:parameter"), where a parameter's name
        # means another object there.
        "notification_open:pk": str(notification.pk),
        "reply_mail_off:token": mail_off_token(user),
    }


def _new_bearer() -> str:
    from django.contrib.auth.models import User

    from paperwire.community.models import AccessToken
    from paperwire.community.tokens import create_token

    user = User.objects.get(username="sweeper")
    return create_token(user, "sweep", scope=AccessToken.WRITE)[1]


class Sweeper:
    def __init__(self, valid: dict[str, str]) -> None:
        self.valid = valid
        self.client = Client(enforce_csrf_checks=True)
        self.failures: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.rendered: set[str] = set()  # routes that answered a GET with a page
        self.login()

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def login(self) -> None:
        from django.contrib.auth.models import User

        self.client.force_login(User.objects.get(username="sweeper"))
        if "csrftoken" not in self.client.cookies:
            self.client.get("/login")  # sets the CSRF cookie, which outlives sessions
        self.csrf = self.client.cookies["csrftoken"].value

    def request(self, route: Route, method: str, path: str, query: str = "") -> int:
        """One request; `query` (urlencoded) is a GET's query string or a POST's body."""
        headers = {"authorization": f"Bearer {self.valid['bearer']}"}
        if not path.startswith("/api/"):
            headers = {}
        try:
            if method == "GET":
                response = self.client.get(f"{path}?{query}" if query else path, headers=headers)
            else:
                body = f"{query}&csrfmiddlewaretoken={self.csrf}"
                response = self.client.post(
                    path, body, content_type="application/x-www-form-urlencoded", headers=headers
                )
            status = response.status_code
        except Exception as exc:  # the test client re-raises what a server answers 500 to
            status, detail = 500, f"{type(exc).__name__}: {exc}"[:300]
        else:
            detail = response.content[:200].decode(errors="replace")
        self.statuses[method, status] += 1
        if method == "GET" and status == 200:
            self.rendered.add(route.name)
        if status >= 500:
            self.failures.append(f"{method} {path[:100]!r} {query[:60]!r}: {status} {detail!r}")
        if "logout" in route.name:
            self.login()
        if "revoke" in route.template:  # it may have been the sweep's own token
            self.valid["bearer"] = _new_bearer()
        return status

    def sweep(self, route: Route, values: list[str], turn: int) -> None:
        """Every value in the query string; a half of them (which half turns with `turn`)
        in the form, a third in the path (GET) and a sixth in the path of a POST. A route
        that answers POST with 405 gets no more POSTs: the method is checked before
        anything reads the body."""
        own = {key.split(":", 1)[1]: value for key, value in self.valid.items()
               if key.startswith(f"{route.name}:")}  # fmt: skip
        valid_path = route.fill({**self.valid, **own})
        takes_post = True
        for index, value in enumerate(values, start=turn):
            if value in RAW_ENCODED:  # bytes no str can hold: the raw query string
                self.request(route, "GET", valid_path, f"q={value}&next={value}")
                if route.params:
                    self.request(route, "GET", route.fill(dict.fromkeys(route.params, value)))
                continue
            query = ENCODED_FIELDS[value]
            self.request(route, "GET", valid_path, query)
            if takes_post and index % 2 == 0:
                takes_post = self.request(route, "POST", valid_path, query) != 405
            if route.params:
                hostile_path = route.fill(dict.fromkeys(route.params, quote(value, safe="")))
                if index % 3 == 0:
                    self.request(route, "GET", hostile_path, query)
                if takes_post and index % 6 == 1:
                    self.request(route, "POST", hostile_path, query)


def _admin_share(values: list[str], turn: int) -> list[str]:
    return [v for i, v in enumerate(values) if (i + turn) % 16 == 0]


def test_every_route_is_found() -> None:
    # The API names some of its operations as the pages do ("upvote"): the pages' here.
    by_name = {route.name: route for route in routes() if not route.template.startswith("/api/")}
    expected = {"daily", "paper", "upvote", "feed_search_rss", "verify_email"}
    assert expected <= set(by_name)
    assert "search_papers" in {route.name for route in routes()}
    assert sum(route.admin for route in routes()) > 20
    assert by_name["upvote"].template == "/papers/{paper_id}/upvote"
    assert by_name["password_reset_confirm"].params == ["uidb64", "token"]
    assert resolve(by_name["upvote"].fill(VALID)).url_name == "upvote"


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    """Thousands of 4xx answers are expected; their warnings would drown the report."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
def test_no_hostile_request_answers_5xx(
    site: dict[str, str], backend: str, quiet_request_log: None
) -> None:
    sweeper = Sweeper(site)
    values = HOSTILE + RAW_ENCODED if backend == "sqlite" else DATABASE_SENSITIVE
    for turn, route in enumerate(routes()):
        if route.admin:
            sweeper.sweep(route, _admin_share(values, turn), turn)
        else:
            sweeper.sweep(route, values, turn)
    assert not sweeper.failures, (
        f"{len(sweeper.failures)} of {sweeper.requests} requests answered 5xx:\n"
        + "\n".join(sweeper.failures[:60])
    )
    # The sweep reached the views: forms were submitted past the CSRF check and pages
    # rendered, not just refused.
    assert sweeper.requests > (1500 if backend == "sqlite" else 700)
    posts_past_csrf = sum(n for (method, status), n in sweeper.statuses.items()
                          if method == "POST" and status not in (403, 405))  # fmt: skip
    assert posts_past_csrf > sweeper.requests // 10
    # A quarter of the GETs rendered a page (36 % on both databases at 2026-12-05), on
    # routes of every kind: counted per route, so that a route added whose GETs cannot
    # render (a POST-only button, a redirect) does not read as the sweep being refused.
    gets = sum(n for (method, _), n in sweeper.statuses.items() if method == "GET")
    assert sweeper.statuses["GET", 200] > gets // 4
    assert len(sweeper.rendered) >= 60, sorted(sweeper.rendered)
