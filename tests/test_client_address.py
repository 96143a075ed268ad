"""The client's address (paperwire.clientaddr): REMOTE_ADDR unless the request came
through a trusted proxy, then the last address before our proxies in X-Forwarded-For;
never the leftmost, which the client writes, and never a 500 for a garbled header."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from paperwire.clientaddr import client_address, parse_address, rate_limit_key
from paperwire.envparse import env_ip_networks

PROXY = "127.0.0.1"


def address(remote: str | None = PROXY, forwarded: str | None = None) -> str:
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_address(request)


@pytest.fixture
def behind_proxy(settings) -> None:
    settings.PAPERWIRE_TRUSTED_PROXIES = ["127.0.0.1/32"]


def test_by_default_x_forwarded_for_is_ignored() -> None:
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address(PROXY, "198.51.100.1") == PROXY


@pytest.mark.usefixtures("behind_proxy")
def test_behind_a_trusted_proxy_the_address_it_saw() -> None:
    assert address(PROXY, "203.0.113.5") == "203.0.113.5"
    assert address(PROXY, " 203.0.113.5 ") == "203.0.113.5"
    # nginx's $proxy_add_x_forwarded_for appends to what the client sent: a forged
    # leftmost address is the client's own words and changes nothing.
    assert address(PROXY, "198.51.100.1, 203.0.113.5") == "203.0.113.5"
    assert address(PROXY, "127.0.0.1, 10.9.9.9, 203.0.113.5") == "203.0.113.5"


@pytest.mark.usefixtures("behind_proxy")
def test_a_client_reaching_the_site_around_the_proxy_cannot_name_an_address() -> None:
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address("10.0.0.7", "203.0.113.5") == "10.0.0.7"


def test_a_chain_of_proxies_is_followed_back_past_every_trusted_one(settings) -> None:
    # A CDN or load balancer (10.0.0.0/8) in front of nginx on this machine.
    settings.PAPERWIRE_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    assert address(PROXY, "198.51.100.1, 203.0.113.5, 10.0.0.7") == "203.0.113.5"
    # Only trusted hops: the farthest of them (a request from inside).
    assert address(PROXY, "10.0.0.8, 10.0.0.7") == "10.0.0.8"
    # The untrusted address stops the walk even when a trusted one is to its left.
    assert address(PROXY, "10.0.0.9, 203.0.113.5, 10.0.0.7") == "203.0.113.5"


@pytest.mark.usefixtures("behind_proxy")
@pytest.mark.parametrize(
    "forwarded",
    [
        "",
        " , ",
        "unknown",
        "203.0.113.5, junk",
        "203.0.113.5,",
        "203.0.113.5,,",
        "<script>alert(1)</script>",
        "203.0.113.5\x00",
        "999.1.1.1",
        "203.0.113.5:99999",
        "203.0.113.5:port",
        "[2001:db8::1",
        "[2001:db8::1]x",
        "2001:db8::1]",
        "x" * 20000,
        ",".join(["10.0.0.1"] * 5000) + ",nope",
    ],
)
def test_a_garbled_header_falls_back_to_remote_addr(forwarded: str) -> None:
    assert address(PROXY, forwarded) == PROXY


@pytest.mark.usefixtures("behind_proxy")
def test_only_the_hops_it_reaches_must_be_addresses() -> None:
    # The client's own junk to the left of the address our proxy wrote is never read.
    assert address(PROXY, "junk, <b>, 203.0.113.5") == "203.0.113.5"


@pytest.mark.usefixtures("behind_proxy")
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5:51234", "203.0.113.5"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
    ],
)
def test_the_forms_proxies_write_an_address_in(forwarded: str, expected: str) -> None:
    assert address(PROXY, forwarded) == expected


@pytest.mark.usefixtures("behind_proxy")
def test_remote_addr_of_a_dual_stack_socket_is_the_ipv4_address() -> None:
    assert address("::ffff:127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert address("::ffff:203.0.113.9") == "203.0.113.9"


def test_without_remote_addr() -> None:
    assert address(None) == "unknown"
    assert address("") == "unknown"


def test_parse_address_refuses_what_is_not_one() -> None:
    assert parse_address("1.2.3.4") is not None
    for text in (
        "",
        "localhost",
        "1.2.3",
        "1.2.3.4.5",
        "[::1]:",
        "::1]",
        "1.2.3.4:٣",
        "1.2.3.4:" + "9" * 5000,
        "[::1]:" + "9" * 5000,
    ):
        assert parse_address(text) is None, text


@pytest.mark.parametrize(
    ("value", "networks"),
    [
        ("", []),
        ("127.0.0.1", ["127.0.0.1/32"]),
        (" 127.0.0.1, 10.0.0.0/8 ::1 ", ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]),
        ("::ffff:10.0.0.1,::ffff:10.0.0.0/104", ["10.0.0.1/32", "10.0.0.0/8"]),
    ],
)
def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch, value: str, networks) -> None:
    monkeypatch.setenv("PAPERWIRE_TRUSTED_PROXIES", value)
    assert env_ip_networks("PAPERWIRE_TRUSTED_PROXIES") == networks


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1", "'1' is a number: list the proxies' addresses or networks"),
        ("127.0.0.1,proxy.local", "'proxy.local' is not an IP address or network"),
        ("10.0.0.5/8", "'10.0.0.5/8' has host bits set: did you mean 10.0.0.0/8?"),
        ("0.0.0.0/0", "0.0.0.0/0 is every address"),
        ("::/0", "::/0 is every address"),
    ],
)
def test_a_bad_trusted_proxies_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("PAPERWIRE_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match=r"^PAPERWIRE_TRUSTED_PROXIES=") as raised:
        env_ip_networks("PAPERWIRE_TRUSTED_PROXIES")
    assert message in str(raised.value)


def test_rate_limits_count_an_ipv6_client_by_its_64() -> None:
    def key(remote: str) -> str:
        return rate_limit_key(RequestFactory().get("/", REMOTE_ADDR=remote))

    assert key("2001:db8:1:2:aaaa::1") == key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("203.0.113.7") == "203.0.113.7"
    assert key("::ffff:203.0.113.7") == "203.0.113.7"
