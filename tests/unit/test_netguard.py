"""The SSRF guard: the decision on addresses (no connection made), and fetching from a local site on 127.0.0.1."""

import json
from collections.abc import Iterator

import pytest
from pages import BIG, NOTES, Site, serve_pages

from factdesk.index.errors import InvalidInput
from factdesk.service.ingest_files import read_url
from factdesk.service.outbound.netguard import (
    MAX_REDIRECTS,
    BadURL,
    FetchOff,
    NetPolicy,
    NotAPage,
    RefusedAddress,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    fetch_page,
    post_json,
    refusal,
    resolve,
)

PUBLIC = NetPolicy()
LOCAL = NetPolicy.parse(True, ["127.0.0.1/32"])


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("127.255.0.9", "127.255.0.9 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("172.16.0.1", "172.16.0.1 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("fc00::1", "fc00::1 is a private address"),
        ("fd12:3456::7", "fd12:3456::7 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),  # cloud metadata services
        ("fe80::1", "fe80::1 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("::", ":: is the unspecified address"),
        ("100.64.0.1", "100.64.0.1 is not a public address"),  # carrier-grade NAT
        ("2001:db8::1", "2001:db8::1 is a private address"),  # documentation range
        ("::ffff:10.0.0.1", "10.0.0.1 is a private address"),  # IPv4-mapped: judged as where it goes
        ("::ffff:127.0.0.1", "127.0.0.1 is a loopback address"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254 is a link-local address"),  # NAT64: judged as where it goes
    ],
)
def test_refused_addresses(address: str, reason: str) -> None:
    assert refusal(address, PUBLIC) == reason


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address, PUBLIC) is None


def test_allowed_networks_override_and_nothing_more() -> None:
    policy = NetPolicy.parse(True, ["127.0.0.1/32,10.0.0.0/8", "fd00::/8"])
    assert refusal("127.0.0.1", policy) is None
    assert refusal("10.200.0.1", policy) is None
    assert refusal("::ffff:10.0.0.1", policy) is None
    assert refusal("fd00::5", policy) is None
    assert refusal("127.0.0.2", policy) == "127.0.0.2 is a loopback address"
    assert refusal("::1", policy) == "::1 is a loopback address"
    assert refusal("192.168.0.1", policy) == "192.168.0.1 is a private address"


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "localhost", "127.0.0.1/8"])  # /8 with host bits set
def test_bad_networks_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a network"):
        NetPolicy.parse(True, [bad])


def test_resolve_checks_the_address_without_connecting() -> None:
    with pytest.raises(RefusedAddress, match=r"127\.0\.0\.2 is a loopback address"):
        resolve("127.0.0.2", 80, LOCAL)
    assert str(resolve("127.0.0.1", 80, LOCAL)) == "127.0.0.1"
    with pytest.raises(FetchOff):
        resolve("127.0.0.1", 80, NetPolicy(enabled=False, allow=LOCAL.allow))


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/file", "file:///etc/passwd", "gopher://127.0.0.1:70/", "/relative/path", "http:///x"]
)
def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(BadURL):
        fetch_page(url, LOCAL)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_pages() as s:
        yield s


def test_fetch_follows_redirects_and_sends_the_host_name(site: Site) -> None:
    page = fetch_page(site.url(f"/hop/{MAX_REDIRECTS}"), LOCAL)
    assert page.url == site.url("/article") and page.content_type == "text/html" and page.charset == "utf-8"
    assert b"Bukavu water plant" in page.body
    # connected to the address looked up, the name kept for the server
    assert fetch_page(site.url("/host", "localhost"), LOCAL).body == f"localhost:{site.port}".encode()


def test_fetch_refusals(site: Site) -> None:
    with pytest.raises(TooManyRedirects):
        fetch_page(site.url(f"/hop/{MAX_REDIRECTS + 1}"), LOCAL)
    before = len(site.requests)
    with pytest.raises(RefusedAddress, match=r"127\.0\.0\.2 is a loopback address"):
        fetch_page(site.url("/elsewhere"), LOCAL)  # refused after the redirect
    with pytest.raises(RefusedAddress, match=r"::1 is a loopback address"):
        fetch_page(site.url("/article", "[::1]"), LOCAL)
    with pytest.raises(RefusedAddress, match=r"127\.0\.0\.1 is a loopback address"):
        fetch_page(site.url("/article"), PUBLIC)
    with pytest.raises(FetchOff):
        fetch_page(site.url("/article"), NetPolicy(enabled=False, allow=LOCAL.allow))
    assert site.requests[before:] == ["/elsewhere"]  # nothing else was asked for
    with pytest.raises(NotAPage, match="application/pdf"):
        fetch_page(site.url("/report.pdf"), LOCAL)
    with pytest.raises(NotAPage, match="image/png"):
        fetch_page(site.url("/photo"), LOCAL)
    with pytest.raises(TooLarge, match="5 MiB"):
        fetch_page(site.url("/big"), LOCAL)
    with pytest.raises(Unreachable, match="404"):
        fetch_page(site.url("/missing"), LOCAL)
    assert BIG > 5 * 2**20


def test_read_url_extracts_the_article(site: Site) -> None:
    article = read_url(site.url("/hop/1"), LOCAL)
    assert article.title == "Bukavu water plant reopens after repairs"
    assert article.author == "Amani Mwamba"
    assert article.publisher == "Kivu Courier"
    assert article.published_at == "2025-03-14"
    assert article.url == site.url("/article")
    assert "replaced two pumps" in article.text and "Copyright" not in article.text
    notes = read_url(site.url("/notes.txt"), LOCAL, {"id": "ferry", "title": "Ferry resumes"})
    assert (notes.text, notes.id, notes.title, notes.publisher) == (NOTES, "ferry", "Ferry resumes", "127.0.0.1")
    assert read_url(site.url("/odd-charset"), LOCAL).text == NOTES  # read as UTF-8


def test_post_json_under_the_same_guard(site: Site) -> None:
    reply = post_json(site.url("/hook"), json.dumps({"event": "ingested"}).encode(), {"X-Test": "1"}, LOCAL)
    assert reply.status_code == 202 and reply.json() == {"event": "ingested"}
    with pytest.raises(RefusedAddress):
        post_json(site.url("/hook", "127.0.0.2"), b"{}", {}, LOCAL)
    with pytest.raises(FetchOff):
        post_json(site.url("/hook"), b"{}", {}, NetPolicy(enabled=False))
