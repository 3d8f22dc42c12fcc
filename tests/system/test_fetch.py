"""Articles by URL against a real `factdesk serve` process and the command line; a local site stands in for the web.

The server may reach 127.0.0.1 only (`--fetch-allow 127.0.0.1/32`); refusals use loopback addresses outside
that network (127.0.0.2, ::1), so no test sends traffic anywhere but loopback.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from pages import NOTES, Site, serve_pages
from serving import launch, stop

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder
from factdesk.index.settings import Settings
from factdesk.index.stance import CueStance
from factdesk.service.api import create_app
from factdesk.service.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_pages() as s:
        yield s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = launch(tmp_path_factory.mktemp("served"), "--stance", "cues", "--fetch-allow", "127.0.0.1/32")
    try:
        yield url
    finally:
        stop(process)


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"], response.json()


@pytest.mark.anyio
async def test_slow_pages_never_hold_up_checks(server: str, site: Site) -> None:
    """45 fetches of a page that trickles: one client gets its two slots, the rest a 503 with Retry-After at once,
    and checks keep their speed while the two drip on (the pool's total is shared: test_fetch_slots_...)."""
    slow = {"url": site.url("/slow")}
    async with httpx.AsyncClient(base_url=server, limits=httpx.Limits(max_connections=80), timeout=90) as http:
        assert (await http.post("/v1/check", json={"claim": "M23 rebels have captured Goma"})).status_code == 200
        fetches = [asyncio.create_task(http.post("/v1/articles", json=slow)) for _ in range(45)]
        await asyncio.sleep(1.5)
        refused = [f.result() for f in fetches if f.done()]
        times = []
        for _ in range(20):
            started = time.monotonic()
            r = await http.post("/v1/check", json={"claim": "M23 rebels have captured Goma"})
            times.append(time.monotonic() - started)
            assert r.status_code == 200, r.text
        running = [f for f in fetches if not f.done()]
        assert len(running) == 2 and len(refused) == 43
        for r in await asyncio.gather(*running):  # the page ends after six seconds and holds no article
            assert r.status_code == 422 and "no article text" in r.json()["detail"], r.text
    for r in refused:
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        assert "page fetches are all in use" in r.json()["detail"]
    assert sorted(times)[-1] < 1.0, times


def test_fetch_slots_are_shared_and_per_client() -> None:
    from factdesk.index.errors import Busy
    from factdesk.service.api.articles import FetchSlots
    from factdesk.service.api.errors import status_of

    slots = FetchSlots(total=3, per_client=2)
    with slots.take("a"), slots.take("a"):
        with pytest.raises(Busy) as refused:
            slots.take("a").__enter__()
        assert status_of(refused.value) == 503
        assert "this client's" in str(refused.value)
        with slots.take("b"):
            with pytest.raises(Busy) as full:
                slots.take("c").__enter__()
            assert "the server's" in str(full.value) and full.value.retry_after == 5
    assert not slots.running  # every slot given back
    with slots.take("c"):
        pass


def test_ingest_a_page_by_url(server: str, site: Site) -> None:
    r = httpx.post(f"{server}/v1/articles", json={"url": site.url("/hop/2")}, timeout=60)
    assert r.status_code == 201, r.text
    [ingested] = r.json()["articles"]
    assert ingested["status"] == "created" and ingested["statements"] >= 5
    article = httpx.get(f"{server}/v1/articles/{ingested['id']}").json()
    assert article["url"] == site.url("/article")  # where the redirects ended
    assert article["title"] == "Bukavu water plant reopens after repairs"
    assert (article["author"], article["publisher"], article["published_at"]) == (
        "Amani Mwamba",
        "Kivu Courier",
        "2025-03-14",
    )
    hits = httpx.get(f"{server}/v1/search", params={"q": "Bukavu water plant reopened", "k": 1}).json()["hits"]
    assert hits[0]["article"]["id"] == ingested["id"]

    # given fields win over the page's; a text page is taken as it is
    r = httpx.post(f"{server}/v1/articles", json={"url": site.url("/notes.txt"), "id": "ferry", "title": "Ferry"})
    assert r.status_code == 201, r.text
    notes = httpx.get(f"{server}/v1/articles/ferry").json()
    assert (notes["text"], notes["title"], notes["publisher"]) == (NOTES, "Ferry", "127.0.0.1")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"url": "http://127.0.0.2:{port}/article"}, "127.0.0.2 is a loopback address"),
        ({"url": "http://[::1]:{port}/article"}, "::1 is a loopback address"),
        ({"url": "http://127.0.0.1:{port}/elsewhere"}, "127.0.0.2 is a loopback address"),  # after a redirect
        ({"url": "http://127.0.0.1:{port}/hop/6"}, "redirects more than 5 times"),
        ({"url": "ftp://127.0.0.1:{port}/article"}, "only http and https"),
        ({"url": "http://127.0.0.1:{port}/report.pdf"}, "application/pdf, not an HTML or text page"),
        ({"url": "http://127.0.0.1:{port}/photo"}, "image/png"),
        ({"url": "http://127.0.0.1:{port}/big"}, "more than the 5 MiB allowed"),
        ({"url": "http://127.0.0.1:{port}/missing"}, "404"),
        ({"title": "no text, no url"}, "needs `text`, or a `url`"),
    ],
)
def test_refusals_change_nothing(server: str, site: Site, body: dict, detail: str) -> None:
    before = httpx.get(f"{server}/health").json()
    sent = {k: v.format(port=site.port) if k == "url" else v for k, v in body.items()}
    assert_problem(httpx.post(f"{server}/v1/articles", json=sent, timeout=60), 422, detail)
    assert httpx.get(f"{server}/health").json() == before


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_fetch_off(tmp_path: Path, embedder: Embedder, site: Site) -> None:
    archive = Archive(tmp_path / "data", embedder=embedder, stance=CueStance())
    app = create_app(Settings(data_dir=tmp_path, fetch=False, fetch_allow="127.0.0.1/32"), archive=archive)
    async with AsyncTestClient(app) as client:
        requested = len(site.requests)
        r = await client.post("/v1/articles", json={"url": site.url("/article")})
        assert r.status_code == 403 and "fetching pages is off" in r.json()["detail"], r.text
        assert site.requests[requested:] == [] and archive.stats()["articles"] == 0
        r = await client.post("/v1/articles", json={"url": site.url("/article"), "text": "Given text wins."})
        assert r.status_code == 201, r.text  # a url beside text is the article's address, not fetched
        assert site.requests[requested:] == []
    archive.close()


def test_cli_ingest_url(tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    base = ["--data-dir", str(data), "--quiet", "--stance", "cues"]
    for options, url, error in [
        (["--fetch-allow", "127.0.0.1/32"], site.url("/article", "127.0.0.2"), "127.0.0.2 is a loopback address"),
        ([], site.url("/article"), "127.0.0.1 is a loopback address"),
        (["--fetch", "off", "--fetch-allow", "127.0.0.1/32"], site.url("/article"), "fetching pages is off"),
        (["--fetch-allow", "127.0.0.1/32"], site.url("/report.pdf"), "not an HTML or text page"),
        (["--fetch-allow", "10.0.0.0/33"], site.url("/article"), "--fetch-allow: not a network"),
    ]:
        assert main([*base, *options, "ingest", url]) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("factdesk ingest: error:") and error in lines[0], lines
    assert not data.exists()  # refused before anything was opened

    assert main([*base, "--fetch-allow", "127.0.0.1/32", "ingest", site.url("/hop/1"), site.url("/notes.txt")]) == 0
    assert "ingested 2 articles from 2 pages (2 created)" in capsys.readouterr().err
    assert main([*base, "search", "ferry between Goma and Bukavu", "-k", "1", "--json"]) == 0
    assert "ferry between Goma and Bukavu" in capsys.readouterr().out
