"""Reading typed values from environment variables, with clear errors."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

N = TypeVar("N", int, float)

# The words a yes/no setting takes (env_bool; PAPERWIRE_INGEST_PARSE_AHEAD adds "auto").
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, *, default: str) -> str:
    """An http(s) base URL: anything else (no scheme, another scheme, no host, a bad port)
    is an error naming the variable now, not a fetch that retries for a minute and then
    names only the URL."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not is_http_url(value):
        raise ValueError(f"{name}={raw!r} is not an http:// or https:// URL: use e.g. {default}")
    return value


def env_email(name: str) -> str:
    """An e-mail address, or "" when unset or empty; anything else is an error naming
    the variable."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return ""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = raw.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(
            f"{name}={raw!r} is not an e-mail address: use e.g. moderators@example.org"
        ) from None
    return value


def is_http_url(value: str) -> bool:
    """An http:// or https:// URL with a host, and a port (if any) that is a number:
    what the HTTP client can fetch (env_url, and `paperwire ingest --base-url`)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:  # also a bad IPv6 bracket
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def env_ip_networks(name: str) -> list[str]:
    """IP addresses or CIDR networks separated by commas or spaces (PAPERWIRE_TRUSTED_PROXIES),
    each as ipaddress writes it; one that is not is an error naming the variable now,
    not a setting that quietly trusts nothing (or, with a /0, everyone)."""
    raw = os.environ.get(name, "")
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(item)
        except ValueError:
            raise ValueError(f"{name}={raw!r}: {item!r} {_not_a_network(item)}") from None
        if network.prefixlen == 0:
            raise ValueError(
                f"{name}={raw!r}: {item} is every address, so any client could name its own "
                "address: list only the addresses or networks of your proxies"
            )
        mapped = getattr(network.network_address, "ipv4_mapped", None)
        if mapped is not None and network.prefixlen >= 96:  # ::ffff:10.0.0.1 is 10.0.0.1
            network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
        networks.append(str(network))
    return networks


def _not_a_network(item: str) -> str:
    if item.isdigit():
        return "is a number: list the proxies' addresses or networks, e.g. 127.0.0.1"
    try:
        return f"has host bits set: did you mean {ipaddress.ip_network(item, strict=False)}?"
    except ValueError:
        return "is not an IP address or network: use e.g. 127.0.0.1,10.0.0.0/8"


def env_int_or(name: str, default: int) -> int:
    """An integer tuning knob read at run time: the default when unset or not a number
    (a typo must not take search down)."""
    try:
        return int(os.environ.get(name, str(default)))
    except ValueError:
        return default


def env_int(name: str, *, default: int, low: int | None = None, high: int | None = None) -> int:
    """An integer setting: a value that is not one, or out of [low, high], is an error
    naming the variable (not Python's "invalid literal for int()")."""
    return _env_number(name, int, "a whole number", default, low, high)


def env_float(name: str, *, default: float, low: float | None = None) -> float:
    return _env_number(name, float, "a number of seconds", default, low, None)


def _env_number(
    name: str, parse: Callable[[str], N], what: str, default: N, low: N | None, high: N | None
) -> N:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = parse(raw.strip())
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not {what}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise ValueError(f"{name}={raw!r} is out of range: use a value {bounds}")
    return value
