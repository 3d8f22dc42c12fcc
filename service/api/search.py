"""`/v1/search`: the nearest statements to a query, with their sources (no stance)."""

from typing import Annotated, Literal

import anyio
from litestar import Controller, get
from litestar.params import Parameter

from factdesk.index.check import MAX_TOP_K
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.articles import ISO_DATE, NOT_BLANK
from factdesk.index.retrieve.limits import TimeLimit
from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.openapi import errors
from factdesk.service.schemas.common import MAX_CLAIM_CHARS, is_blank
from factdesk.service.schemas.search import SearchResponse, search_hit


class SearchController(Controller):
    path = "/v1/search"
    tags = ["search"]  # noqa: RUF012 (litestar reads these class attributes)
    opt = {"scope": "check"}  # noqa: RUF012

    @get(summary="Nearest statements with their sources (no stance)", responses=errors(400, 401, 403, 422, 429))
    async def search(
        self,
        archive: OpenArchive,
        q: Annotated[
            str,
            Parameter(min_length=1, max_length=MAX_CLAIM_CHARS, pattern=NOT_BLANK, description="Query text"),
        ],
        k: Annotated[int, Parameter(ge=1, le=MAX_TOP_K, description="How many statements")] = 10,
        as_of: Annotated[
            str | None,
            Parameter(max_length=64, pattern=ISO_DATE, description="Only articles published by then (ISO 8601)"),
        ] = None,
        undated: Annotated[
            Literal["include", "exclude"], Parameter(description="Whether articles without a date are searched")
        ] = "include",
    ) -> SearchResponse:
        if is_blank(q):
            raise InvalidInput("query is blank")
        limit = TimeLimit.parse(as_of, undated)
        hits = await anyio.to_thread.run_sync(lambda: archive.retrieve(q, k, limit=limit))
        return SearchResponse(q, [search_hit(e) for e in hits])
