"""Rate limits on log in, sign-up, reset and submit, per address and per account."""

from __future__ import annotations

import pytest
from django.test import Client

from paperwire.community.ratelimit import DEFAULT_LIMITS, Limit, limit_for

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_login_limits(settings) -> None:
    """Fewer attempts than the defaults, so the tests spend less time hashing."""
    settings.PAPERWIRE_RATE_LIMITS = {"login-account": Limit(4, 600), "login-ip": Limit(6, 600)}


def test_default_login_limits_are_in_force() -> None:
    assert limit_for("login-account") == Limit(10, 600)
    assert limit_for("login-ip") == Limit(30, 600)


def test_login_limit_per_account_holds_even_with_the_right_password(
    make_member, clean_cache: None, small_login_limits: None
) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1")
    limit = limit_for("login-account").count
    for _ in range(limit):
        response = client.post("/login", {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    blocked = client.post("/login", {"username": "ada", "password": PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.content
    assert "_auth_user_id" not in client.session
    # From another address too: the account's limit is not per address.
    other = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.9")
    assert other.post("/login", {"username": "ada", "password": PASSWORD}).status_code == 429
    # Another account from a fresh address is unaffected.
    make_member("bob")
    third = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.10")
    assert third.post("/login", {"username": "bob", "password": PASSWORD}).status_code == 302


def test_login_limit_per_address(make_member, clean_cache: None, small_login_limits: None) -> None:
    make_member("ada")
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.1.1.1")
    limit = limit_for("login-ip").count
    for i in range(limit):
        client.post("/login", {"username": f"guess{i}", "password": "x"})
    assert client.post("/login", {"username": "ada", "password": PASSWORD}).status_code == 429


def test_signup_limit_per_address(db: None, clean_cache: None) -> None:
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.2.2.2")
    for i in range(DEFAULT_LIMITS["signup-ip"].count):
        data = {"username": f"user{i}", "email": f"u{i}@example.org", "password": PASSWORD}
        assert client.post("/signup", data).status_code == 302
    data = {"username": "late", "email": "late@example.org", "password": PASSWORD}
    response = client.post("/signup", data)
    assert response.status_code == 429 and b"Too many attempts" in response.content


def test_signup_limit_per_email_address(db: None, clean_cache: None) -> None:
    for i in range(DEFAULT_LIMITS["signup-account"].count):
        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"10.4.4.{i}")
        data = {"username": f"user{i}", "email": "target@example.org", "password": PASSWORD}
        assert client.post("/signup", data).status_code == 302
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.4.4.200")
    data = {"username": "late", "email": "Target@example.org", "password": PASSWORD}
    assert client.post("/signup", data).status_code == 429


def test_reset_limit_per_account(make_member, clean_cache: None) -> None:
    make_member("ada")
    for i in range(DEFAULT_LIMITS["reset-account"].count):
        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"10.3.3.{i}")
        assert client.post("/password-reset", {"email": "ada@example.org"}).status_code == 302
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.3.3.200")
    assert client.post("/password-reset", {"email": "ADA@example.org"}).status_code == 429


def test_submit_limit_per_account(member_client: Client, clean_cache: None) -> None:
    for _ in range(DEFAULT_LIMITS["submit-account"].count):
        assert member_client.post("/submit", {"arxiv": "nonsense"}).status_code == 400
    response = member_client.post("/submit", {"arxiv": "2401.01234"})
    assert response.status_code == 429 and b"Too many submissions" in response.content


def test_the_admin_login_has_the_same_limits(
    make_member, clean_cache: None, small_login_limits: None
) -> None:
    make_member("boss", is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(limit_for("login-account").count):
        wrong = client.post("/admin/login/", {"username": "boss", "password": "guess"})
        assert wrong.status_code == 200
    right = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert right.status_code == 429 and b"Too many attempts" in right.content
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/login/").status_code == 200  # the form still shows


def test_the_counter_is_one_atomic_statement_under_parallel_hits(
    transactional_db: None, backend: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from paperwire.community.ratelimit import count_attempt

    def attempt(_: int) -> int:
        try:
            return count_attempt("parallel", "one-key", 600)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = sorted(pool.map(attempt, range(64)))
    assert counts == list(range(1, 65)), "two attempts saw the same count"


# --- behind a reverse proxy (paperwire.clientaddr) ---------------------------------------

PROXY = "127.0.0.1"  # nginx on this machine: every request's REMOTE_ADDR


def through_proxy(client_address: str, sent: str = "") -> Client:
    """A browser at `client_address` behind nginx, which appends the address it saw to
    the X-Forwarded-For the browser sent (`$proxy_add_x_forwarded_for`)."""
    forwarded = f"{sent}, {client_address}" if sent else client_address
    return Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.fixture
def behind_proxy(settings) -> None:
    settings.PAPERWIRE_TRUSTED_PROXIES = ["127.0.0.1/32"]


def test_without_trusted_proxies_a_client_cannot_dodge_a_limit_with_x_forwarded_for(
    make_member, clean_cache: None, small_login_limits: None
) -> None:
    make_member("ada")
    for i in range(limit_for("login-ip").count):
        guess = Client(
            HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.5.5.5", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}"
        )
        assert guess.post("/login", {"username": f"guess{i}", "password": "x"}).status_code == 200
    dodge = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.5.5.5", HTTP_X_FORWARDED_FOR="1.1.1.99")
    assert dodge.post("/login", {"username": "ada", "password": PASSWORD}).status_code == 429


@pytest.mark.usefixtures("behind_proxy")
def test_behind_a_trusted_proxy_two_clients_have_separate_login_limits(
    make_member, clean_cache: None, small_login_limits: None
) -> None:
    make_member("ada")
    for i in range(limit_for("login-ip").count):
        response = through_proxy("203.0.113.5").post(
            "/login", {"username": f"g{i}", "password": "x"}
        )
        assert response.status_code == 200
    blocked = through_proxy("203.0.113.5").post("/login", {"username": "x", "password": "x"})
    assert blocked.status_code == 429
    # A forged leftmost address does not help: the proxy appended the real one. (Other
    # usernames than ada's: her account has a limit of its own.)
    for i, forged in enumerate(("198.51.100.7", "203.0.113.6", "junk", "198.51.100.7, 127.0.0.1")):
        again = through_proxy("203.0.113.5", sent=forged)
        assert again.post("/login", {"username": f"f{i}", "password": "x"}).status_code == 429
    # Another visitor behind the same proxy logs in.
    other = through_proxy("203.0.113.6")
    assert other.post("/login", {"username": "ada", "password": PASSWORD}).status_code == 302


@pytest.mark.usefixtures("behind_proxy")
def test_behind_a_trusted_proxy_two_clients_have_separate_signup_limits(
    db: None, clean_cache: None, settings
) -> None:
    settings.PAPERWIRE_RATE_LIMITS = {"signup-ip": Limit(2, 3600)}

    def signup(client: Client, name: str) -> int:
        data = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
        return client.post("/signup", data).status_code

    assert [signup(through_proxy("203.0.113.5"), f"a{i}") for i in range(2)] == [302, 302]
    assert signup(through_proxy("203.0.113.5"), "a2") == 429
    assert signup(through_proxy("203.0.113.5", sent="198.51.100.7"), "a3") == 429
    assert signup(through_proxy("2001:db8::5"), "b0") == 302


@pytest.mark.usefixtures("behind_proxy")
def test_behind_a_trusted_proxy_two_clients_have_separate_subscribe_limits(
    db: None, clean_cache: None, settings
) -> None:
    settings.PAPERWIRE_RATE_LIMITS = {"subscribe-ip": Limit(1, 3600)}

    def subscribe(client: Client, email: str) -> int:
        return client.post("/subscribe", {"email": email, "frequency": "daily"}).status_code

    assert subscribe(through_proxy("203.0.113.5"), "a@example.org") == 200
    assert subscribe(through_proxy("203.0.113.5", sent="198.51.100.7"), "b@example.org") == 429
    assert subscribe(through_proxy("203.0.113.6"), "c@example.org") == 200


def test_the_environment_sets_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from paperwire.limits import env_rate_limits

    monkeypatch.setenv("PAPERWIRE_RATE_LIMITS", " signup-ip=50/3600 , login-ip = 100/600,")
    assert env_rate_limits() == {"signup-ip": Limit(50, 3600), "login-ip": Limit(100, 600)}
    monkeypatch.setenv("PAPERWIRE_RATE_LIMITS", "signup-ip=0/3600")
    with pytest.raises(ValueError, match="a count of at least 1"):
        env_rate_limits()
    monkeypatch.delenv("PAPERWIRE_RATE_LIMITS")
    assert env_rate_limits() == {}
