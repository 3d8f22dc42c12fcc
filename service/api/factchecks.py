"""`/v1/fact-checks`: store earlier fact-checks (ClaimReview JSON-LD, or a page embedding it)."""

from typing import Any

import anyio
from litestar import Controller, Request, post
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_201_CREATED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from factdesk.index.errors import Unreadable
from factdesk.index.factchecks import read_claim_reviews
from factdesk.service.api.bodies import is_json_type
from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.openapi import FactChecksOperation, errors
from factdesk.service.schemas.factchecks import FactCheckIngestResponse, StoredFactCheck


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8 text") from None


class FactChecksController(Controller):
    path = "/v1/fact-checks"
    tags = ["fact-checks"]  # noqa: RUF012 (litestar reads these class attributes)
    opt = {"scope": "ingest"}  # noqa: RUF012

    @post(
        status_code=HTTP_201_CREATED,
        summary="Store earlier fact-checks: ClaimReview JSON-LD (one, a list, a @graph) or a web page embedding them",
        description="The body is JSON-LD (`application/json` or `application/ld+json`) or an HTML page whose "
        '`<script type="application/ld+json">` blocks hold ClaimReviews. Every check then lists earlier reviews of '
        "a matching claim in `fact_checks`.",
        responses=errors(400, 401, 403, 413, 415, 422, 429),
        operation_class=FactChecksOperation,
    )
    async def create_fact_checks(
        self, request: Request[Any, Any, Any], archive: OpenArchive
    ) -> FactCheckIngestResponse:
        kind = request.content_type[0]
        if not (is_json_type(kind) or kind == "text/html"):
            detail = f"the body must be JSON-LD or an HTML page, not {kind or 'untyped'}"
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=detail)
        checks = read_claim_reviews(_text(await request.body()))
        statuses = await anyio.to_thread.run_sync(archive.ingest_fact_checks, checks)
        return FactCheckIngestResponse(
            [StoredFactCheck(c.id, status, c.claim_reviewed) for c, status in zip(checks, statuses, strict=True)]
        )
