"""`/v1/articles`: ingest (text, a page to fetch, or a list), read and delete articles."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from factdesk.index.errors import Busy, NotFound
from factdesk.index.ingest.articles import Article
from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.guards import client_id
from factdesk.service.api.openapi import errors
from factdesk.service.ingest_files import read_url
from factdesk.service.outbound.netguard import FetchOff, NetPolicy
from factdesk.service.schemas.articles import ArticleOut, ArticleUpload, IngestResponse, article_out, ingest_response

# page fetches (`POST /v1/articles {"url": ...}`) run in their own threads, at most this many at once per server
# process and per client; a fetch that finds no free slot is answered 503 at once, and checks never wait for one
FETCHES_AT_ONCE = 8
FETCHES_PER_CLIENT = 2
FETCH_RETRY_SECONDS = 5


class FetchSlots:
    """Page fetches in flight: at most `total` at once, `per_client` of them for one client."""

    def __init__(self, total: int = FETCHES_AT_ONCE, per_client: int = FETCHES_PER_CLIENT) -> None:
        self.limiter = anyio.CapacityLimiter(total)  # the threads they run in
        self.total = total
        self.per_client = per_client
        self.running: Counter[str] = Counter()

    @contextmanager
    def take(self, client: str) -> Iterator[anyio.CapacityLimiter]:
        """A slot for `client`, or Busy (a 503 with Retry-After) when none is free: nothing waits for one."""
        if self.running[client] >= self.per_client or self.running.total() >= self.total:
            busy = "this client's" if self.running[client] >= self.per_client else "the server's"
            raise Busy(f"{busy} page fetches are all in use; try again later", FETCH_RETRY_SECONDS)
        self.running[client] += 1
        try:
            yield self.limiter
        finally:
            self.running[client] -= 1
            if not self.running[client]:
                del self.running[client]


class ArticlesController(Controller):
    path = "/v1/articles"
    tags = ["articles"]  # noqa: RUF012 (litestar reads these class attributes)
    opt = {"scope": "ingest"}  # noqa: RUF012

    @post(
        status_code=HTTP_201_CREATED,
        summary="Ingest one article or a list",
        description='`{"url": ...}` without `text` fetches the page (HTML or plain text, at most 5 MiB and 5 '
        "redirects) and takes its text, title, author, date and site name; other fields given win over the page's. "
        "Addresses that are not public (loopback, private, link-local, ...) are refused unless the server allows "
        "their network (`--fetch-allow`); a server started with `--fetch off` answers 403.",
        responses=errors(400, 401, 403, 413, 415, 422, 429, 503),
    )
    async def create_articles(
        self, data: JSONBody[ArticleUpload], state: State, request: Request[Any, Any, Any], archive: OpenArchive
    ) -> IngestResponse:
        policy: NetPolicy = state.net

        def fetch(url: str, given: dict[str, Any]) -> Article:
            return read_url(url, policy, given)

        if data.fetches():
            if not policy.enabled:
                raise FetchOff("fetching pages is off on this server (--fetch off)")
            slots: FetchSlots = state.fetch_slots
            with slots.take(client_id(request)) as limiter:
                # in a thread of the fetch pool: a page waits on the network (and trafilatura parses it)
                articles = await anyio.to_thread.run_sync(data.to_articles, fetch, limiter=limiter)
        else:
            articles = data.to_articles()
        for a in articles:
            a.validate()
        return ingest_response(await anyio.to_thread.run_sync(archive.ingest, articles))

    @get(
        "/{article_id:str}",
        summary="An article with its statements",
        responses=errors(400, 401, 403, 404, 429),
        opt={"scope": "check"},
    )
    async def get_article(self, article_id: FromPath[str], archive: OpenArchive) -> ArticleOut:
        found = await anyio.to_thread.run_sync(archive.article, article_id)
        if not found:
            raise NotFound(f"no article with id {article_id!r}")
        return article_out(*found)

    @delete(
        "/{article_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete an article, its statements and vectors",
        responses=errors(400, 401, 403, 404, 429),
    )
    async def delete_article(self, article_id: FromPath[str], archive: OpenArchive) -> None:
        if not await anyio.to_thread.run_sync(archive.delete, article_id):
            raise NotFound(f"no article with id {article_id!r}")
