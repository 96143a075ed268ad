"""Journey fixtures: one real `paperwire serve` (with its worker) for the whole journey
suite, sending mail to a real SMTP server and asking a local arXiv; and a browser page
that fails the test on any console error, any unexpected status >= 400 and any request
to another host, and leaves a screenshot of the last page in tests/journeys/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import (
    ARTIFACTS,
    FakeArxivApi,
    Mailbox,
    Site,
    SmtpServer,
    check_alternate_feeds,
    start_site,
    start_smtp,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Pages whose GET spends a one-time token or changes state: never fetched a second time.
ONE_TIME = re.compile(r"/(verify|reset|digests|logout)\b")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    yield from start_smtp()


@pytest.fixture(scope="session")
def fake_arxiv() -> Iterator[FakeArxivApi]:
    with FakeArxivApi() as arxiv:
        yield arxiv


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, fake_arxiv: FakeArxivApi
) -> Iterator[Site]:
    """The journeys' site: demo data, mail over SMTP, arXiv on 127.0.0.1."""
    yield from start_site(
        tmp_path_factory.mktemp("journey-site"),
        smtp.box,
        PAPERWIRE_EMAIL_HOST=smtp.host,
        PAPERWIRE_EMAIL_PORT=str(smtp.port),
        PAPERWIRE_ARXIV_API_URL=fake_arxiv.url,
    )


@pytest.fixture(scope="module")
def file_mail_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site with no PAPERWIRE_EMAIL_HOST: its mail lands in $PAPERWIRE_DATA_DIR/mail/."""
    data_dir = tmp_path_factory.mktemp("journey-file-mail")
    yield from start_site(data_dir, Mailbox(folder=data_dir / "mail"))


@dataclass
class Watch:
    """What the page saw that a person should never see."""

    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def expect_status(self, status: int, url_pattern: str) -> None:
        """A test that means to meet an error status says so first."""
        self.expected.append((status, re.compile(url_pattern)))

    def on_response(self, response: Any) -> None:
        status, url = response.status, response.url
        if status >= 400 and not any(s == status and p.search(url) for s, p in self.expected):
            self.problems.append(f"{status} {response.request.method} {url}")
        request = response.request
        if request.resource_type == "document" and request.method == "GET" and status == 200:
            self.pages.append(url)

    def on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            self.problems.append(f"request to another host: {request.url}")

    def on_console(self, message: Any) -> None:
        # Failed loads are already judged, with their expected statuses, by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")


@pytest.fixture(scope="session", autouse=True)
def _patient_expect() -> None:
    from playwright.sync_api import expect

    # A busy 2-core machine: wait for a condition, generously, rather than for a time.
    expect.set_options(timeout=20_000)


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_context(browser: Any, watch: Watch) -> Iterator[Any]:
    """Make browser contexts (options as for browser.new_context) whose pages are watched."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        context.on("request", watch.on_request)
        context.on("response", watch.on_response)
        context.on("console", watch.on_console)
        context.on("weberror", lambda error: watch.problems.append(f"page error: {error.error}"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, new_context: Any, watch: Watch) -> Iterator[Any]:
    page = new_context().new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    if not page.is_closed():
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert not watch.problems, "the browser saw:\n" + "\n".join(watch.problems)


@pytest.fixture
def feeds_of_pages(page: Any, watch: Watch) -> Iterator[list[str]]:
    """At the end, every feed that a page the test visited links with rel=alternate must
    parse; yields the list of feeds checked, filled in at teardown."""
    checked: list[str] = []
    yield checked
    pages = [url for url in dict.fromkeys(watch.pages) if not ONE_TIME.search(urlsplit(url).path)]
    checked.extend(check_alternate_feeds(page, pages))
