"""Operations: `/health` (open), `/v1/whoami` and `/metrics` (behind keys when the server has them)."""

from typing import Any

import anyio
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.guards import ANY_SCOPE
from factdesk.service.api.openapi import errors
from factdesk.service.keys import SCOPES, ApiKey
from factdesk.service.schemas.operations import Health, WhoAmI

INDEX_SIZE = Gauge("factdesk_index_size", "Items in the archive", ["kind"])


class OperationsController(Controller):
    path = "/"
    tags = ["operations"]  # noqa: RUF012 (litestar reads these class attributes)

    @get(
        "/v1/whoami",
        summary="Whether the server requires keys, and the scopes of the key presented",
        responses=errors(400, 401, 429),
        opt={"scope": ANY_SCOPE},
    )
    async def whoami(self, request: Request[Any, Any, Any], state: State) -> WhoAmI:
        if state.get("keys") is None:  # (not state.keys: State is a mapping, .keys is its method)
            return WhoAmI(keys=False, scopes=list(SCOPES))
        key: ApiKey = request.scope["state"]["api_key_record"]  # set by the guard, which let the request through
        return WhoAmI(keys=True, scopes=list(key.scopes), key_id=key.id, name=key.name or None)

    @get(
        "/metrics",
        summary="Prometheus metrics",
        media_type=CONTENT_TYPE_LATEST,
        include_in_schema=True,
        responses=errors(401, 403, 429),
        opt={"scope": "admin"},
    )
    async def metrics(self, archive: OpenArchive) -> Response[bytes]:
        stats = await anyio.to_thread.run_sync(archive.stats)
        for kind, value in stats.items():
            INDEX_SIZE.labels(kind).set(value)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class HealthController(Controller):
    """Open even when the server requires keys: outside the secured routes."""

    path = "/health"
    tags = ["operations"]  # noqa: RUF012

    @get(summary="Counts, model names and stance mode")
    async def health(self, archive: OpenArchive) -> Health:
        stats = await anyio.to_thread.run_sync(archive.stats)
        return Health(
            status="ok",
            articles=stats["articles"],
            statements=stats["statements"],
            vectors=stats["vectors"],
            publishers=stats["publishers"],
            fact_checks=stats["fact_checks"],
            vector_index=archive.vectors.kind,
            embedding_model=archive.embedder.name,
            encoder=archive.embedder.encoder,
            stance_mode=archive.stance.mode,
            stance_model=archive.stance.name,
            calibration=archive.calibration,
            min_confidence=archive.min_confidence,
        )
