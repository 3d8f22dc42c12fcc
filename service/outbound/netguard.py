"""Outbound HTTP that a caller's URL cannot turn against the server's own network (SSRF guard).

A URL's host is resolved once, every address it resolves to is checked (`refusal`), and the connection goes
to the checked address itself, with the original host in the Host header and TLS SNI: a second lookup by the
HTTP client could answer differently (DNS rebinding). Redirects are followed here, one hop at a time, so that
each new host is checked the same way. Loopback, private, link-local, multicast, reserved and other
non-public addresses are refused unless the operator allows a network (`NetPolicy.allow`).
"""

import codecs
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from factdesk.index.errors import InvalidInput, Refused
from factdesk.index.settings import IPNetwork, parse_networks

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_PAGE_BYTES = 5 * 2**20
MAX_REPLY_BYTES = 2**20
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PAGE_SECONDS = 30.0  # a whole fetch, redirects included: read timeouts alone let a slow server drip forever
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "factdesk (+https://github.com/factdesk)"

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
# the first that applies names the reason; `is_private` also covers several reserved blocks, so it comes late
KINDS = (
    ("is_unspecified", "the unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)


class FetchError(InvalidInput):
    """Why a URL was not fetched; the message is one line for the user."""


class FetchOff(Refused, FetchError):
    """The server or command was started with fetching off."""


class BadURL(FetchError):
    """Not an absolute http(s) URL with a host."""


class RefusedAddress(FetchError):
    """The host resolves to an address outside what the policy lets us reach."""


class Unreachable(FetchError):
    """No answer: the name does not resolve, the connection fails or times out, or an error status."""


class TooManyRedirects(FetchError):
    pass


class NotAPage(FetchError):
    """A content type other than HTML or plain text."""


class TooLarge(FetchError):
    pass


@dataclass(frozen=True)
class NetPolicy:
    enabled: bool = True
    allow: tuple[IPNetwork, ...] = ()  # networks reachable despite being loopback, private, ...

    @classmethod
    def parse(cls, enabled: bool, allow: Iterable[str] = ()) -> "NetPolicy":
        """`allow`: CIDRs, each item possibly a comma list ("10.0.0.0/8,127.0.0.1/32"); InvalidInput if bad."""
        return cls(enabled, parse_networks(allow))


def refusal(address: str | IPAddress, policy: NetPolicy) -> str | None:
    """Why `address` may not be connected to under `policy`, e.g. "127.0.0.2 is a loopback address"; None: it may.

    Pure: no lookup, no connection. An IPv4-mapped IPv6 address (::ffff:10.0.0.1) and a NAT64 one
    (64:ff9b::a00:1) are judged as their IPv4 address, since that is where the connection goes.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    elif isinstance(ip, ipaddress.IPv6Address) and ip in NAT64:
        ip = ipaddress.IPv4Address(ip.packed[-4:])
    if any(ip in network for network in policy.allow):
        return None
    for attribute, kind in KINDS:
        if getattr(ip, attribute):
            return f"{ip} is {kind}"
    if not ip.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT), 2001:db8::/32 (documentation)
        return f"{ip} is not a public address"
    return None


def resolve(host: str, port: int, policy: NetPolicy) -> IPAddress:
    """The address to connect to for `host`: looked up once; refused if any address it resolves to is refused."""
    if not policy.enabled:
        raise FetchOff("fetching pages is off on this server (--fetch off)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise Unreachable(f"cannot resolve {host!r}: {getattr(e, 'strerror', None) or e}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    for ip in addresses:
        reason = refusal(ip, policy)
        if reason:
            named = "" if host == str(ip) else f"{host} resolves to {ip}; "
            raise RefusedAddress(f"refused to connect: {named}{reason}")
    return addresses[0]


def http_url(url: str | httpx.URL) -> httpx.URL:
    """`url` as an absolute http(s) URL with a host, or BadURL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as e:
        raise BadURL(f"not a URL: {str(url)[:200]!r} ({e})") from None
    if parsed.scheme not in ("http", "https"):
        raise BadURL(f"only http and https URLs are fetched, not {parsed.scheme or 'a relative URL'!r}")
    if not parsed.host:
        raise BadURL(f"no host in URL {str(url)[:200]!r}")
    return parsed


@contextmanager
def _send(
    client: httpx.Client, method: str, url: httpx.URL, policy: NetPolicy, **kwargs: object
) -> Iterator[httpx.Response]:
    """One request to the address `url`'s host resolves to (checked), never a second lookup."""
    port = url.port or (443 if url.scheme == "https" else 80)
    host = url.raw_host.decode("ascii")  # IDNA-encoded: what DNS and TLS expect
    ip = resolve(host.strip("[]"), port, policy)
    headers = dict(kwargs.pop("headers", None) or {})  # type: ignore[call-overload]
    headers["Host"] = url.netloc.decode("ascii")
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    request = client.build_request(
        method, url.copy_with(host=str(ip)), headers=headers, extensions=extensions, **kwargs
    )  # type: ignore[arg-type]
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        raise Unreachable(f"{url.host} did not answer in time") from None
    except httpx.HTTPError as e:
        raise Unreachable(f"cannot fetch {url}: {e}") from None
    try:
        yield response
    finally:
        response.close()


def _client() -> httpx.Client:
    # trust_env=False: a proxy from the environment would make the connection somewhere we did not check
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False, headers={"User-Agent": USER_AGENT})


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    content_type: str  # one of PAGE_TYPES
    charset: str | None  # from the Content-Type header, if it says
    body: bytes


def fetch_page(url: str, policy: NetPolicy) -> Page:
    """GET an HTML or plain-text page of at most MAX_PAGE_BYTES, following at most MAX_REDIRECTS redirects."""
    if not policy.enabled:
        raise FetchOff("fetching pages is off on this server (--fetch off)")
    current = http_url(url)
    deadline = time.monotonic() + PAGE_SECONDS  # for the whole fetch, redirects included
    with _client() as client:
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() > deadline:
                raise Unreachable(f"{url} took more than {PAGE_SECONDS:.0f} s to fetch")
            with _send(client, "GET", current, policy) as response:
                if response.is_redirect:
                    current = http_url(current.join(response.headers["location"]))
                    continue
                if response.status_code >= 400:
                    raise Unreachable(f"{current} answered {response.status_code} {response.reason_phrase}")
                content_type = response.headers.get("content-type", "")
                kind = content_type.split(";")[0].strip().lower()
                if kind not in PAGE_TYPES:
                    raise NotAPage(f"{current} is {kind or 'of no stated type'}, not an HTML or text page")
                body = _read(response, MAX_PAGE_BYTES, str(current), deadline)
                return Page(str(current), kind, _known(response.charset_encoding), body)
    raise TooManyRedirects(f"{url} redirects more than {MAX_REDIRECTS} times")


def _known(charset: str | None) -> str | None:
    """The charset if Python has a codec for it; a page may name anything."""
    try:
        return codecs.lookup(charset).name if charset else None
    except LookupError:
        return None


def _read(response: httpx.Response, limit: int, what: str, deadline: float | None = None) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"{what} is {int(declared)} bytes, more than the {limit // 2**20} MiB allowed")
    deadline = deadline or time.monotonic() + PAGE_SECONDS
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"{what} is more than the {limit // 2**20} MiB allowed")
            if time.monotonic() > deadline:
                raise Unreachable(f"{what} took more than {PAGE_SECONDS:.0f} s to download")
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise Unreachable(f"{what} stopped sending") from None
    except httpx.HTTPError as e:
        raise Unreachable(f"{what}: {e}") from None
    return b"".join(chunks)


def post_json(
    url: str, body: bytes, headers: Mapping[str, str], policy: NetPolicy, timeout: float = 10.0
) -> httpx.Response:
    """POST a JSON body under the same guard (no redirects followed); the reply is read, up to MAX_REPLY_BYTES."""
    if not policy.enabled:
        raise FetchOff("outbound requests are off on this server (--fetch off)")
    target = http_url(url)
    with (
        httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        _send(
            client,
            "POST",
            target,
            policy,
            content=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        ) as response,
    ):
        content = _read(response, MAX_REPLY_BYTES, str(target))
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=response.request)
