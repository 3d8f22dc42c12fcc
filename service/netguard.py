"""The SSRF guard: outbound requests (webhooks) go only to addresses the operator allows.

By default any public (globally routable) address may be reached and nothing else: no loopback, private,
link-local (cloud metadata), shared, reserved or multicast address, unless a network is allowed explicitly with
`--fetch-allow CIDR` (FACTDESK_FETCH_ALLOW, comma-separated). `--fetch off` (FACTDESK_FETCH=off) sends nothing.
A host name is resolved once and every address it has must be allowed; the connection then goes to that checked
address (the Host header and TLS name stay the host's), so a second lookup cannot swap in another (DNS rebinding).
Redirects are not followed.
"""

import http.client
import ipaddress
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = {"http": 80, "https": 443}
OFF = "outbound requests are off (--fetch off)"
MAX_RESPONSE_BYTES = 65_536  # read of a webhook's answer: its status is what counts


class FetchError(Exception):
    """An outbound request was refused or failed (the message says why)."""


class RefusedAddress(FetchError):
    """The destination is not allowed by the policy."""


@dataclass(frozen=True, slots=True)
class NetPolicy:
    enabled: bool = True
    allow: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, fetch: str | None, allow: str | list[str] | None) -> "NetPolicy":
        """Raises ValueError with a message for a mode other than on|off or a network that is not CIDR."""
        mode = (fetch or "on").strip().lower()
        if mode not in ("on", "off"):
            raise ValueError(f"fetch must be on or off, not {fetch!r}")
        items = allow.split(",") if isinstance(allow, str) else (allow or [])
        networks = []
        for item in (i.strip() for i in items):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"fetch-allow {item!r} is not a network (CIDR, e.g. 10.0.0.0/8)") from None
        return cls(mode == "on", tuple(networks))

    @classmethod
    def from_env(cls) -> "NetPolicy":
        return cls.parse(os.environ.get("FACTDESK_FETCH"), os.environ.get("FACTDESK_FETCH_ALLOW"))


def refusal(address: str, policy: NetPolicy) -> str | None:
    """Why `address` (an IP address) may not be reached under `policy`, or None when it may."""
    if not policy.enabled:
        return OFF
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    if any(ip in network for network in policy.allow):
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    return f"{ip} is not a public address (allow its network with --fetch-allow)"


def resolve(host: str, port: int, policy: NetPolicy) -> str:
    """The address to connect to for `host`: every address it resolves to must be allowed."""
    if not policy.enabled:
        raise RefusedAddress(OFF)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError(f"cannot resolve {host!r}: {e}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        reason = refusal(address, policy)
        if reason:
            raise RefusedAddress(reason if address == host.strip("[]") else f"{host}: {reason}")
    if not addresses:
        raise FetchError(f"cannot resolve {host!r}")
    return addresses[0]


def split_url(url: str) -> tuple[SplitResult, str, int]:
    """The url's parts, host and port; FetchError for a scheme other than http(s) or a url without a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise FetchError(f"not a valid url: {e}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(f"only http and https urls are allowed, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise FetchError("the url has no host")
    return parts, parts.hostname, port or SCHEMES[parts.scheme.lower()]


def check_url(url: str, policy: NetPolicy) -> None:
    """Raises FetchError (RefusedAddress for a destination the policy refuses) unless `url` may be requested."""
    _, host, port = split_url(url)
    resolve(host, port, policy)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the host's name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post_json(url: str, body: bytes, headers: Mapping[str, str], policy: NetPolicy, timeout: float = 10.0) -> int:
    """POST `body` as JSON to `url`, connecting only to its checked, resolved address; the response status."""
    parts, host, port = split_url(url)
    address = resolve(host, port, policy)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(host, address, port, timeout)
        if parts.scheme.lower() == "https"
        else http.client.HTTPConnection(address, port, timeout=timeout)
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body,
            {"Host": parts.netloc.rsplit("@", 1)[-1], "Content-Type": "application/json", "User-Agent": "factdesk"}
            | dict(headers),
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"{type(e).__name__}: {e}") from None
    finally:
        connection.close()
