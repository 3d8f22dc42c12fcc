"""`/v1/check`: one claim, a whole draft, or a batch of claims streamed back as NDJSON."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.response import Stream

from factdesk.index.check import CHECKS_AT_ONCE
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.language import not_english
from factdesk.index.retrieve.limits import NO_LIMIT, TimeLimit
from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.openapi import CheckOperation, errors
from factdesk.service.schemas.check import (
    BatchRequest,
    CheckRequest,
    CheckResponse,
    DocumentRequest,
    DocumentResponse,
    check_response,
    claim_review_out,
    document_response,
)
from factdesk.service.schemas.common import is_blank

JSON, LD_JSON = "application/json", "application/ld+json"


def _check(
    archive: OpenArchive,
    claim: str,
    top_k: int,
    min_confidence: float | None,
    claim_id: str | None = None,
    limit: TimeLimit = NO_LIMIT,
) -> CheckResponse:
    if is_blank(claim):
        raise InvalidInput("claim is blank")
    return check_response(archive.check(claim, top_k, min_confidence, limit), claim_id)


def _english(text: str, language: str | None, what: str = "claim") -> None:
    """InvalidInput for a text that reads as another language than English, unless the caller declared it English."""
    reason = None if language else not_english(text)  # the schema admits only English tags
    if reason:
        raise InvalidInput(f"{what}: {reason}")


class CheckController(Controller):
    path = "/v1/check"
    tags = ["check"]  # noqa: RUF012 (litestar reads these class attributes)
    opt = {"scope": "check"}  # noqa: RUF012

    @post(
        status_code=200,
        summary="Evidence for and against one claim, with a verdict",
        description="With `Accept: application/ld+json` the answer is a schema.org ClaimReview draft of the check.",
        responses=errors(400, 401, 403, 413, 415, 422, 429),
        operation_class=CheckOperation,
    )
    async def check(
        self, data: JSONBody[CheckRequest], state: State, request: Request[Any, Any, Any], archive: OpenArchive
    ) -> CheckResponse:
        limit = data.time_limit()
        if not is_blank(data.claim):
            _english(data.claim, data.language)
        claim, top_k, level = data.claim, data.top_k, data.min_confidence
        result = await anyio.to_thread.run_sync(_check, archive, claim, top_k, level, None, limit)
        if request.accept.best_match([JSON, LD_JSON], default=JSON) == LD_JSON:
            review = claim_review_out(result, state.public_url, state.organization)
            return Response(msgspec.json.encode(review), media_type=LD_JSON)  # type: ignore[return-value]
        return result

    @post(
        "/document",
        status_code=200,
        summary="Check a whole draft: every statement, and a check of each check-worthy one, in order",
        responses=errors(400, 401, 403, 413, 415, 422, 429),
    )
    async def check_document(self, data: JSONBody[DocumentRequest], archive: OpenArchive) -> DocumentResponse:
        limit = data.time_limit()
        _english(data.text, data.language, "draft")

        def run() -> DocumentResponse:
            chosen = data.min_checkworthiness
            level = archive.checkworthiness.default_level if chosen is None else chosen
            statements = archive.check_document(data.text, data.top_k, level, data.min_confidence, limit)
            return document_response(statements, level)

        return await anyio.to_thread.run_sync(run)

    @post(
        "/batch",
        status_code=200,
        media_type="application/x-ndjson",
        summary="Check many claims; results stream as NDJSON in input order",
        responses=errors(400, 401, 403, 413, 415, 422, 429),
    )
    async def check_batch(self, data: JSONBody[BatchRequest], archive: OpenArchive) -> Stream:
        blank = [i for i, c in enumerate(data.claims) if is_blank(c.claim)]
        if blank:
            raise InvalidInput(f"claim {blank[0]} is blank")
        limit = data.time_limit()
        for i, c in enumerate(data.claims):
            _english(c.claim, data.language, f"claim {i}")
        encoder = msgspec.json.Encoder()
        level = data.min_confidence

        async def lines() -> AsyncIterator[bytes]:
            # CHECKS_AT_ONCE claims in flight (see Archive.check_many), each line sent as soon as it is next in order
            running: deque[asyncio.Task[CheckResponse]] = deque()
            try:
                for c in data.claims:
                    checked = anyio.to_thread.run_sync(_check, archive, c.claim, data.top_k, level, c.id, limit)
                    running.append(asyncio.ensure_future(checked))
                    if len(running) >= CHECKS_AT_ONCE:
                        yield encoder.encode(await running.popleft()) + b"\n"
                while running:
                    yield encoder.encode(await running.popleft()) + b"\n"
            finally:  # the client went away: checks already running finish, nothing new starts
                for task in running:
                    task.cancel()

        return Stream(lines(), media_type="application/x-ndjson")
