"""Community fixtures: members, a paper in the feed, a real SMTP server, a live site."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from support import base_env, stop_process_group, wait_until_answers

PASSWORD = "correct horse battery staple 42"
BIN_DIR = Path(sys.executable).parent


@pytest.fixture
def make_member(db: None) -> Callable[..., Any]:
    """An active, verified account."""
    from django.contrib.auth.models import User

    from paperwire.community.models import Profile

    def make(username: str = "ada", **extra: Any) -> User:
        user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)
        Profile.objects.create(user=user, email_verified=True)
        return user

    return make


@pytest.fixture
def member(make_member: Callable[..., Any]) -> Any:
    return make_member("ada")


@pytest.fixture
def ada(member: Any) -> Any:
    """The member, by name, where a test has two (ada and bob)."""
    return member


@pytest.fixture
def bob(make_member: Callable[..., Any]) -> Any:
    return make_member("bob")


@pytest.fixture
def member_client(member: Any) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(member)
    return client


@pytest.fixture
def feed_paper(small_feed: Any) -> Any:
    """The small feed's paper with an arXiv id (3 imported upvotes)."""
    from paperwire.papers.models import Paper

    return Paper.objects.get(arxiv_id="2401.01234")


@pytest.fixture
def clean_cache(db: None) -> Iterator[None]:
    """Rate-limit counters live in the cache: start each test with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- a real SMTP server (aiosmtpd) -------------------------------------------------


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, to: str, timeout: float = 20) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for msg in self.messages:
                    if to in (msg.get("To") or ""):
                        return msg
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} within {timeout}s")


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content)
        with self.box.lock:
            self.box.messages.append(msg)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def mail_text(msg: Message) -> str:
    if msg.is_multipart():
        parts = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
        msg = parts[0]
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(msg.get_content_charset() or "utf-8")


# --- a live site sending mail to that server -------------------------------------


@dataclass
class Site:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def manage(self, *args: str) -> str:
        """Run a `paperwire` command against the site's database."""
        done = subprocess.run(
            [str(BIN_DIR / "paperwire"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def community_site(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: Mailbox
) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("community-site")
    env = base_env()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        PAPERWIRE_DATA_DIR=str(data_dir),
        PAPERWIRE_SECRET_KEY="paperwire-community-tests",
        PAPERWIRE_EMAIL_HOST=smtp_server.host,
        PAPERWIRE_EMAIL_PORT=str(smtp_server.port),
        PAPERWIRE_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        PAPERWIRE_EMAIL_FROM="paperwire <noreply@paperwire.test>",
    )
    port = free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN_DIR / "paperwire"),
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                "--no-worker",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    site = Site(f"http://127.0.0.1:{port}", data_dir, env, process, log)

    def about_answers() -> bool:
        with urllib.request.urlopen(site.url + "/about", timeout=5) as response:
            return bool(response.status == 200)

    try:
        wait_until_answers(process, log, about_answers, 90)
        yield site
    finally:
        stop_process_group(process)


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str) -> str:
    """Every database test here runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend
