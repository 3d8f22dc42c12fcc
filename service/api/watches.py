"""`/v1/watches`: watch a claim; new statements that support or conflict with it are POSTed to a webhook."""

import anyio
import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from factdesk.index.errors import InvalidInput, NotFound
from factdesk.index.storage.watches import StoredWatch
from factdesk.index.watch import new_watch
from factdesk.service.api.dependencies import OpenArchive
from factdesk.service.api.openapi import errors
from factdesk.service.outbound.webhooks import check_webhook
from factdesk.service.schemas.common import is_blank
from factdesk.service.schemas.watches import (
    DeliveryList,
    WatchCreated,
    WatchId,
    WatchList,
    WatchOut,
    WatchRequest,
    delivery_out,
)


def _stored_watch(archive: OpenArchive, watch_id: str) -> StoredWatch:
    watch = archive.watches.watch(watch_id)
    if watch is None:
        raise NotFound(f"no watch with id {watch_id!r}")
    return watch


class WatchesController(Controller):
    path = "/v1/watches"
    tags = ["watches"]  # noqa: RUF012 (litestar reads these class attributes)
    opt = {"scope": "ingest"}  # noqa: RUF012

    @post(
        status_code=HTTP_201_CREATED,
        summary="Watch a claim: new statements that support or conflict with it are POSTed to a webhook",
        description="The answer holds the watch's `secret`, shown only here: each delivery carries "
        "`X-Factdesk-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`.",
        responses=errors(400, 401, 403, 413, 415, 422, 429),
    )
    async def create_watch(self, data: JSONBody[WatchRequest], state: State, archive: OpenArchive) -> WatchCreated:
        if is_blank(data.claim):
            raise InvalidInput("claim is blank")
        # refused now, naming the reason, as the guard would refuse each delivery: 403 when outbound requests are
        # off, as for fetched articles, else 422
        await anyio.to_thread.run_sync(check_webhook, data.webhook_url, state.net)
        watch = new_watch(data.claim, data.webhook_url, data.min_confidence)
        await anyio.to_thread.run_sync(archive.watches.create_watch, watch)
        return msgspec.convert(watch, WatchCreated, from_attributes=True)

    @get(summary="Every watch (without secrets)", responses=errors(401, 403, 429))
    async def list_watches(self, archive: OpenArchive) -> WatchList:
        watches = await anyio.to_thread.run_sync(archive.watches.watches)
        return WatchList(msgspec.convert(watches, list[WatchOut], from_attributes=True))

    @get("/{watch_id:str}", summary="One watch (without its secret)", responses=errors(400, 401, 403, 404, 429))
    async def get_watch(self, watch_id: FromPath[WatchId], archive: OpenArchive) -> WatchOut:
        watch = await anyio.to_thread.run_sync(_stored_watch, archive, watch_id)
        return msgspec.convert(watch, WatchOut, from_attributes=True)

    @delete(
        "/{watch_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Stop watching: the watch and its deliveries, sent or not, are deleted",
        responses=errors(400, 401, 403, 404, 429),
    )
    async def delete_watch(self, watch_id: FromPath[WatchId], archive: OpenArchive) -> None:
        if not await anyio.to_thread.run_sync(archive.watches.delete_watch, watch_id):
            raise NotFound(f"no watch with id {watch_id!r}")

    @get(
        "/{watch_id:str}/deliveries",
        summary="A watch's latest deliveries, newest first: queued, delivered or failed",
        responses=errors(400, 401, 403, 404, 429),
    )
    async def list_deliveries(self, watch_id: FromPath[WatchId], archive: OpenArchive) -> DeliveryList:
        def read() -> DeliveryList:
            watch = _stored_watch(archive, watch_id)
            return DeliveryList(watch.id, [delivery_out(d) for d in archive.watches.deliveries(watch.id)])

        return await anyio.to_thread.run_sync(read)
