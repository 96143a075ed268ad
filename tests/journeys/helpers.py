"""What the journeys share: a real `paperwire serve`, its mail (SMTP or .eml files), a
local arXiv, and the links a person would click in a mail."""

from __future__ import annotations

import html
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from support import bin_path, cli_env, free_port, stop_process_group, wait_until_answers

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct horse battery staple 42"
ARXIV_FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "fixtures"
# Generous: on a busy 2-core machine the serve worker may take a while to send a mail.
MAIL_DEADLINE = 60.0


# --- mail -----------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Mail a server sent: to a real SMTP server (aiosmtpd) or as .eml files in a folder."""

    folder: Path | None = None
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all(self) -> list[Message]:
        if self.folder is not None:
            return [
                message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(self.folder.glob("*.eml"))
            ]
        with self.lock:
            return list(self.messages)

    def wait_for(self, to: str, subject: str = "", seen: int = 0) -> Message:
        """The (seen+1)-th mail to `to` whose subject contains `subject`."""
        deadline = time.monotonic() + MAIL_DEADLINE
        while time.monotonic() < deadline:
            found = [
                msg
                for msg in self.all()
                if to in str(msg.get("To") or "") and subject in str(msg.get("Subject") or "")
            ]
            if len(found) > seen:
                return found[seen]
            time.sleep(0.2)
        where = self.folder or "the SMTP server"
        raise AssertionError(f"no mail to {to} ({subject!r}) in {where} within {MAIL_DEADLINE}s")


class _SmtpHandler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.box.lock:
            self.box.messages.append(msg)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    box: Mailbox


def start_smtp() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    server = SmtpServer("127.0.0.1", free_port(), box)
    controller = Controller(_SmtpHandler(box), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def mail_parts(msg: Message) -> tuple[str, str]:
    """(text, html) of a mail, transfer encodings (quoted-printable, base64) undone."""
    text, markup = [], []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        kind = part.get_content_type()
        if kind not in {"text/plain", "text/html"}:
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        decoded = payload.decode(part.get_content_charset() or "utf-8")
        (text if kind == "text/plain" else markup).append(decoded)
    return "\n".join(text), "\n".join(markup)


def mail_links(msg: Message) -> list[str]:
    """Every http(s) link of a mail, from its text and its HTML, in order, once each."""
    text, markup = mail_parts(msg)
    found = re.findall(r"https?://[^\s<>\"')\]]+", text)
    found += [html.unescape(href) for href in re.findall(r'href="([^"]+)"', markup)]
    return list(dict.fromkeys(link.rstrip(".,;") for link in found))


def link_to(msg: Message, path_part: str) -> str:
    """The mail's link whose path contains `path_part` (fails, listing them, if none)."""
    links = [link for link in mail_links(msg) if path_part in link]
    assert links, f"no link with {path_part!r} in the mail: {mail_links(msg)}"
    return links[0]


# --- a local arXiv ------------------------------------------------------------------


class FakeArxivApi:
    """arXiv's query API on 127.0.0.1, answering from the recorded fixtures."""

    def __init__(self) -> None:
        page = (ARXIV_FIXTURES / "api_page1.xml").read_bytes()
        empty = (ARXIV_FIXTURES / "api_empty.xml").read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = page if "2401.0000" in self.path else empty
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeArxivApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- a real `paperwire serve` -------------------------------------------------------


@dataclass
class Site:
    url: str
    data_dir: Path
    env: dict[str, str]
    mail: Mailbox
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str, **env: str) -> str:
        """Run `paperwire ARGS` against this site's database, as its operator would."""
        done = subprocess.run(
            [bin_path("paperwire"), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def fetch(
        self, path_or_url: str, data: bytes | None = None, **headers: str
    ) -> tuple[int, bytes]:
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def wait_for_vectors(site: Site, timeout: float = 300) -> None:
    """Until the site's worker has embedded every paper, and past the seconds a web
    process keeps its For-you window: rankings made while it embeds change under the
    journey (a page and the feed fetched after it could differ)."""
    from paperwire.recommend.candidates import RECHECK_SECONDS

    code = "from paperwire.search.vectors import count_missing; print(count_missing())"
    deadline = time.monotonic() + timeout
    while (missing := site.cli("shell", "-c", code).split()[-1]) != "0":
        assert time.monotonic() < deadline, f"{missing} papers still without a vector"
        time.sleep(1)
    time.sleep(RECHECK_SECONDS + 0.5)


def start_site(data_dir: Path, mail: Mailbox, **extra_env: str) -> Iterator[Site]:
    """`paperwire serve --port N` with its worker, as a user starts it; stopped with its
    process group (granian's workers and the worker go with it)."""
    # Every journey signs its people up from 127.0.0.1, more of them than the ten an
    # address may sign up in an hour; the limit itself is tested in test_live_rate_limits.
    # Reply mails too are not limited here (tests/community/test_notifications.py tests
    # that limit): a journey's missing mail is then the member's choice, not the limit.
    env = cli_env(
        data_dir,
        PAPERWIRE_ARXIV_DELAY="0",
        PAPERWIRE_RATE_LIMITS="signup-ip=100/3600,reply-mail=100/3600",
        **extra_env,
    )
    port = free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [bin_path("paperwire"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    site = Site(f"http://127.0.0.1:{port}", data_dir, env, mail, process, log)
    try:
        wait_until_answers(process, log, lambda: site.fetch("/about")[0] == 200, 120)
        yield site
    finally:
        stop_process_group(process, grace=20)


# --- what a person does on most journeys ------------------------------------------

# A demo feed day with 36 papers. The front page shows the latest day, which the
# journeys that submit papers turn into today with one or two: a journey that picks
# several cards goes to this day instead, whatever ran before it.
FEED_DAY = "/?date=2026-06-11"


def log_in(page: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/login")
    main = page.locator("main")
    main.get_by_label("Username", exact=True).fill(username)
    main.get_by_label("Password", exact=True).fill(password)
    main.get_by_role("button", name="Log in").click()
    expect(page.locator("a.nav-user")).to_have_text(username)


STAFF_PASSWORD = "staff passphrase that is long 9"


def staff_page(new_context: Any, site: Site, username: str) -> Any:
    """A page of a new staff account (`paperwire createsuperuser`), logged in to /admin/."""
    site.cli(
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        f"{username}@example.org",
        DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD,
    )
    staff = new_context().new_page()
    staff.goto(site.url + "/admin/")
    staff.get_by_label("Username").fill(username)
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    return staff


def sign_up(page: Any, site: Site, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign up").click()
    main = page.locator("main")
    main.get_by_label("Username", exact=True).fill(username)
    main.get_by_label("Email", exact=True).fill(f"{username}@example.org")
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    link = link_to(site.mail.wait_for(f"{username}@example.org"), "/verify/")
    assert link.startswith(site.url + "/"), f"{link} is not on {site.url}"
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Your address is confirmed")


def check_alternate_feeds(page: Any, urls: list[str]) -> list[str]:
    """Fetch each page (with the browser's cookies), and every feed it links with
    <link rel="alternate">; each feed must answer 200 and parse without a flaw (no bozo).
    Returns the feeds checked."""
    import feedparser

    checked: list[str] = []
    for url in urls:
        body = page.request.get(url).text()
        for tag in re.findall(r"<link\b[^>]*>", body):
            href = re.search(r'href="([^"]+)"', tag)
            kind = re.search(r'type="([^"]+)"', tag)
            if 'rel="alternate"' not in tag or not href or not kind or "xml" not in kind[1]:
                continue
            feed_url = urljoin(url, html.unescape(href[1]))
            if feed_url in checked:
                continue
            response = page.request.get(feed_url)
            assert response.status == 200, f"{feed_url} (linked from {url}): {response.status}"
            parsed = feedparser.parse(response.body())
            assert not parsed.bozo, f"{feed_url} (linked from {url}): {parsed.bozo_exception}"
            assert parsed.feed.get("title"), f"{feed_url} (linked from {url}) has no title"
            checked.append(feed_url)
    return checked


# On an emulated phone (is_mobile) Chromium widens the layout viewport to fit what
# overflows, so window.innerWidth grows with the page and `scrollWidth <= innerWidth`
# holds whatever the page does. Measure against the screen's width instead.
_WIDTH = "document.documentElement.scrollWidth"


def page_width(page: Any, screen_width: int) -> int:
    """How wide the page is, after checking on this very page that a block wider than
    the screen would be seen (so the measure cannot pass whatever the page does)."""
    probe = page.evaluate(
        """(w) => {
            const block = document.createElement("div");
            block.style.cssText = `width:${w + 200}px;height:1px`;
            document.body.append(block);
            const seen = document.documentElement.scrollWidth;
            block.remove();
            return seen;
        }""",
        screen_width,
    )
    assert probe > screen_width, "the width check cannot see a block wider than the screen"
    width: int = page.evaluate(_WIDTH)
    return width
