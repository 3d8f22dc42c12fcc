"""Watches on a claim and their webhook deliveries."""

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from factdesk.index.storage.watches import StoredDelivery
from factdesk.service.schemas.common import Claim, attributes

WebhookUrl = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2_000,
        description="http(s) address the server POSTs matches to; its host must resolve to an address the server's "
        "SSRF guard allows (public ones, and networks given with --fetch-allow).",
    ),
]
WatchId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class WatchRequest(Struct, forbid_unknown_fields=True):
    claim: Claim
    webhook_url: WebhookUrl
    min_confidence: (
        Annotated[
            float,
            Meta(
                ge=0.0,
                le=1.0,
                description="The supports or conflicts score a new statement needs to be delivered. Default: the "
                "server's level (FACTDESK_MIN_CONFIDENCE, else the calibration's).",
            ),
        ]
        | None
    ) = None


class WatchOut(Struct):
    id: str
    claim: str
    webhook_url: str
    min_confidence: float | None
    created_at: str


class WatchCreated(WatchOut):
    secret: Annotated[str, Meta(description="The HMAC-SHA256 key of this watch's signatures; shown only here.")]


class WatchList(Struct):
    watches: list[WatchOut]


class DeliveryOut(Struct):
    id: int
    status: Literal["queued", "delivered", "failed"]
    attempts: int
    statement_id: int
    article_id: str
    stance: str
    created_at: str
    delivered_at: str | None
    next_attempt_at: str | None  # while queued
    last_error: str | None


class DeliveryList(Struct):
    watch_id: str
    deliveries: list[DeliveryOut]


def delivery_out(d: StoredDelivery) -> DeliveryOut:
    due = None
    if d.status == "queued":
        due = datetime.fromtimestamp(d.next_attempt_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return msgspec.convert(attributes(d) | {"next_attempt_at": due}, DeliveryOut)
