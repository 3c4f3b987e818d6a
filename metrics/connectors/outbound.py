"""Where Runway may send a connected service's credentials, checked at every connection.

A base URL is checked when a service is saved, but a name may resolve elsewhere later
(DNS rebinding, a changed record), and then the next sync would hand the service's key
to an internal address. So every connection Runway makes for a service resolves the
name itself, refuses it when any of its addresses is not public, and connects to an
address it checked; a redirect is a new connection and is checked the same way. Hosts
an admin allow-lists (``RUNWAY_CONNECTOR_ALLOWED_HOSTS``) are called as they are.

Connector calls go straight to the service: HTTP(S)_PROXY is not used, because a proxy
would resolve the name where Runway cannot check the answer.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from metrics.connectors.base import ConnectorError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that only ever mean this machine or an internal network.
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".localhost", ".internal")

# Refused ranges, by the name a message gives them. Anything else that is not a public
# address (documentation, reserved, "this network") is refused as "not public".
REFUSED_RANGES: dict[str, tuple[str, ...]] = {
    "loopback": ("127.0.0.0/8", "::1/128"),
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    "unique local": ("fc00::/7",),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
    # Shared address space; 100.100.100.200 is a cloud metadata address.
    "carrier-grade NAT": ("100.64.0.0/10",),
    "benchmarking": ("198.18.0.0/15",),
    "unspecified": ("0.0.0.0/8", "::/128"),
    "multicast": ("224.0.0.0/4", "ff00::/8"),
}
_REFUSED_NETWORKS = [
    (name, ipaddress.ip_network(cidr))
    for name, cidrs in REFUSED_RANGES.items()
    for cidr in cidrs
]
# IPv6 ranges that carry an IPv4 address, which decides: ::ffff:0:0/96 (mapped),
# 2002::/16 (6to4) and 64:ff9b::/96 (NAT64).
NAT64 = ipaddress.ip_network("64:ff9b::/96")

ALLOW_LIST_HINT = (
    "An admin can allow-list the host (RUNWAY_CONNECTOR_ALLOWED_HOSTS) if Runway "
    "must call it."
)


class RefusedAddress(ConnectorError):
    """A connection Runway will not make; permanent, so no retry repeats it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(address.packed[-4:])
    return None


def address_refusal(address: Address) -> str | None:
    """Why Runway will not connect to ``address`` (a short noun phrase), or None."""
    if (embedded := _embedded_ipv4(address)) is not None:
        reason = address_refusal(embedded)
        return f"{reason} ({embedded}, carried in an IPv6 address)" if reason else None
    for name, network in _REFUSED_NETWORKS:
        if address in network:
            return name
    if not address.is_global or address.is_reserved:
        return "not public"
    return None


def allow_listed(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in {
        h.rstrip(".").lower() for h in settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS
    }


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order. Tests replace this
    with a fake resolver; nothing else in Runway resolves a service's name."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses Runway may connect to for ``host``: all of them, or a RefusedAddress
    naming the first that is not allowed. An allow-listed host is returned as it is."""
    if allow_listed(host):
        return [host]
    name = host.rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        raise RefusedAddress(
            f"{host} is a name for this machine or an internal network. {ALLOW_LIST_HINT}"
        )
    try:
        addresses = [str(ipaddress.ip_address(name.strip("[]")))]
    except ValueError:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise RefusedAddress(
                f"{host} does not resolve; check the address."
            ) from None
    if not addresses:
        raise RefusedAddress(f"{host} does not resolve; check the address.")
    for text in addresses:
        if reason := address_refusal(ipaddress.ip_address(text)):
            where = (
                "is" if text == name.strip("[]") else f"resolves to {text}, which is"
            )
            raise RefusedAddress(
                f"{host} {where} a {reason} address. {ALLOW_LIST_HINT}"
            )
    return addresses


def url_refusal(url: str) -> str | None:
    """Why an address a person typed (a connected service's base URL, a notification
    channel's webhook) may not be saved, or None. https only, and no private or
    loopback host, unless an admin allow-listed the host; every connection is checked
    again (``_CheckedBackend``), since a name may resolve elsewhere later."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"}:
        return "Use an https address."
    if allow_listed(host):
        return None
    if parts.scheme != "https" and not settings.IS_DEVELOPMENT:
        return "Use https; an admin can allow-list an internal host that cannot."
    return host_refusal(host)


def host_refusal(host: str) -> str | None:
    """The message a form shows for a base URL's ``host``, or None when it may be saved."""
    try:
        checked_addresses(host, 443)
    except RefusedAddress as refused:
        return refused.message
    return None


class _CheckedBackend(httpcore.SyncBackend):
    """Opens each TCP connection to an address ``checked_addresses`` allowed; TLS still
    verifies the certificate against the name, which httpcore passes separately."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in checked_addresses(host, port):
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure


def client(
    *,
    timeout: httpx.Timeout | float,
    wrap_backend: Callable[[httpcore.NetworkBackend], httpcore.NetworkBackend]
    | None = None,
) -> httpx.Client:
    """The HTTP client every call for a connected service uses (syncs, "Test
    connection", the provider's project lists) and notification channels' deliveries.
    ``wrap_backend`` may wrap the address-checking network backend (a delivery bounds
    each connection by one deadline), never replace it."""
    backend: httpcore.NetworkBackend = _CheckedBackend()
    if wrap_backend is not None:
        backend = wrap_backend(backend)
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx takes no network backend, so its pool is rebuilt with ours; the other
    # settings are httpx's defaults, as HTTPTransport() would have used.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return httpx.Client(
        transport=transport, timeout=timeout, trust_env=False, follow_redirects=False
    )
