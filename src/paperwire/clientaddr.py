"""The address of the client a request came from: what rate limits key on.

Behind a reverse proxy every request's REMOTE_ADDR is the proxy's, so one abuser (or a
busy hour) would exhaust the per-address limits of everyone. The proxy names the client
in X-Forwarded-For, appending the address it saw to whatever the client sent, so only
the right end of that list can be believed: the leftmost entries are the client's own
words. With PAPERWIRE_TRUSTED_PROXIES (addresses and networks of our proxies), a request
whose REMOTE_ADDR is one of them is followed back through X-Forwarded-For from the right,
past every trusted proxy, to the first address that is not one (as nginx's real_ip module
with real_ip_recursive, Caddy's trusted_proxies or Rails' trusted proxies do). A request
from anywhere else keeps its REMOTE_ADDR, so a client reaching the site around the
proxy cannot name its own address. A hop that is not an IP address (only a trusted
proxy can have written one the walk reaches) gives REMOTE_ADDR, never a 500.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: HttpRequest) -> str:
    """The client's IP address as text, for rate limits and anything that records one."""
    return str(_client(request))


def rate_limit_key(request: HttpRequest) -> str:
    """What per-address rate limits count against: the client's IPv4 address, or the /64
    network of its IPv6 one (one subscriber line or host usually holds a whole /64, so
    counting each address apart would let it take a fresh one per attempt)."""
    client = _client(request)
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)


def _client(request: HttpRequest) -> Address | str:
    """The client's address; REMOTE_ADDR's text (or "unknown") when that is no address."""
    remote_text = request.META.get("REMOTE_ADDR") or ""
    remote = parse_address(remote_text)
    if remote is None:
        return remote_text or "unknown"
    trusted = trusted_networks(tuple(getattr(settings, "PAPERWIRE_TRUSTED_PROXIES", ())))
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded.strip():
        return remote  # the proxy itself (a health check), or a header it did not set
    address = remote
    for hop_text in reversed(forwarded.split(",")):
        hop = parse_address(hop_text)
        if hop is None:
            return remote
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return address


def parse_address(text: str) -> Address | None:
    """An IP address, as a proxy may write one (`1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
    `[2001:db8::1]:443`); an IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`, from a
    dual-stack socket) as the IPv4 one. None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and _is_port(rest[1:]))):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    # At most 5 digits before int(): thousands of them would make int() raise.
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit() and int(text) < 65536


@functools.lru_cache(maxsize=8)
def trusted_networks(texts: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text) for text in texts)


def _is_trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address in network for network in networks)
