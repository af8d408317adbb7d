"""Which endpoint URLs the gateway will call: HTTPS to public addresses only (no SSRF into our network).

The host is resolved and every address it resolves to must be global: private, loopback, link-local (cloud
metadata at 169.254.169.254), shared, reserved and multicast ranges are refused. With `allow_loopback`
(tests, a laptop) plain http to an address that is loopback and nothing else is accepted as well. Checked when
an endpoint is registered or changed, and again before each delivery (a name may come to resolve elsewhere);
the delivery then connects to the address checked, not to what a second lookup would answer (DNS rebinding),
with the name kept in the Host header and, over TLS, as the SNI and the name the certificate must hold.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx


class UrlRefused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# IPv6 prefixes whose last 32 bits name an IPv4 address some networks reach through them: NAT64's well-known
# prefix (RFC 6052), SIIT's IPv4-translated (RFC 2765) and the deprecated IPv4-compatible (RFC 4291). Python
# calls the first and the last global whatever IPv4 address they carry.
_CARRY_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _CARRY_IPV4) and int(address) & 0xFFFFFFFF:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # the IPv4 address itself, as the kernel reaches it
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None and not _is_public(carried):
            return False
    return address.is_global and not address.is_multicast


def _is_loopback(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


async def resolve(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise UrlRefused("url_unresolvable", f"the host {host!r} does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_url(url: str, *, allow_loopback: bool) -> IpAddress:
    """Raises UrlRefused unless the gateway may deliver to `url`; the checked address to connect to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("url_invalid", "the URL cannot be parsed") from exc
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise UrlRefused("url_invalid", "an absolute https:// URL is needed")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(
            "url_invalid", "credentials in the URL are not accepted; verify the signature instead"
        )
    addresses = await resolve(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise UrlRefused("url_unresolvable", f"the host {host!r} does not resolve")
    loopback_only = all(_is_loopback(address) for address in addresses)
    if allow_loopback and loopback_only:
        return addresses[0]
    if parts.scheme != "https":
        raise UrlRefused("url_not_https", "webhook endpoints must use https://")
    refused = [str(address) for address in addresses if not _is_public(address)]
    if refused:
        raise UrlRefused(
            "url_not_public", f"the host resolves to a non-public address ({', '.join(sorted(refused))})"
        )
    return addresses[0]


@dataclass(frozen=True)
class Pinned:
    """A request to `url` sent to one address: the URL with the address as host, and what keeps the name."""

    url: httpx.URL
    host_header: str
    extensions: dict[str, str] = field(default_factory=dict)


def pinned(url: str, address: IpAddress) -> Pinned:
    """`url` sent to `address` (checked by `check_url`), the name still in the Host header and TLS."""
    named = httpx.URL(url)
    extensions = {"sni_hostname": named.host} if named.scheme == "https" else {}
    return Pinned(named.copy_with(host=str(address)), named.netloc.decode("ascii"), extensions)
