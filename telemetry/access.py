"""Who may read ``/metrics``: a bearer of RUNWAY_METRICS_TOKEN, or a client whose
address is in RUNWAY_METRICS_ALLOWED_IPS. With neither set, nobody."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def scrape_allowed(request: HttpRequest) -> bool:
    return _token_matches(request) or _address_allowed(request)


def _token_matches(request: HttpRequest) -> bool:
    expected = settings.RUNWAY_METRICS_TOKEN
    if not expected:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Compared in constant time, so the answer's timing does not leak the token.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _address_allowed(request: HttpRequest) -> bool:
    networks = allowed_networks(tuple(settings.RUNWAY_METRICS_ALLOWED_IPS))
    if not networks:
        return False
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client chose to write. Behind a
    # proxy every request comes from the proxy's address, so list Prometheus's address
    # only when it scrapes the web processes directly; otherwise use the token.
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return any(address in network for network in networks)


@lru_cache(maxsize=8)
def allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The valid entries as networks (a bare address is a /32 or /128). An invalid
    entry opens nothing; the system check ``telemetry.E001`` names it."""
    return tuple(n for entry in entries if (n := _network(entry)) is not None)


def invalid_entries(entries: Iterable[str]) -> list[str]:
    return [entry for entry in entries if _network(entry) is None]


def _network(entry: str) -> Network | None:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None
