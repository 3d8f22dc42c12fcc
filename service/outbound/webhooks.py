"""Sending watch deliveries: signed POSTs, retried with backoff, picked up again after a restart.

Deliveries wait in SQLite (index.watch queues them with the ingest that found them). Each server worker runs
`deliver_forever` in its lifespan; a worker claims due deliveries in a transaction (WatchStore.claim_deliveries), so
one delivery is sent by one worker, and a worker that dies mid-send leaves it to be sent again when its lease
ends. A 2xx answer delivers; anything else (another status, a refused or unreachable address, a timeout) is
retried after backoff · 2^(attempts − 1) seconds, until `attempts` tries have failed.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

import anyio

from factdesk.index.errors import Refused
from factdesk.index.settings import Settings
from factdesk.index.storage.watches import StoredDelivery, StoredWatch, WatchStore
from factdesk.service.logs import logger
from factdesk.service.outbound.netguard import FetchError, NetPolicy, http_url, post_json, resolve

SIGNATURE_HEADER = "X-Factdesk-Signature"
DELIVERY_HEADER = "X-Factdesk-Delivery"
BATCH = 4  # deliveries claimed at once (sent one after another)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    backoff: float = 30.0
    attempts: int = 8
    timeout: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> "DeliveryConfig":
        return cls(settings.webhook_backoff, settings.webhook_attempts, settings.webhook_timeout)

    @property
    def poll(self) -> float:
        """Seconds between looks for due deliveries when there were none."""
        return min(1.0, self.backoff)

    @property
    def lease(self) -> float:
        """Long enough for a batch to be sent, each request to its timeout."""
        return BATCH * self.timeout + 30


def check_webhook(url: str, policy: NetPolicy) -> None:
    """Refuses (FetchOff) or rejects (FetchError naming the reason) a webhook address the SSRF guard would not
    deliver to; the guard checks it again before each delivery."""
    try:
        target = http_url(url)
        resolve(target.host, target.port or (443 if target.scheme == "https" else 80), policy)
    except FetchError as e:
        if isinstance(e, Refused):
            raise
        raise type(e)(f"webhook_url: {e}") from None


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body, keyed with the watch's secret>` (the X-Factdesk-Signature header)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def attempt(delivery: StoredDelivery, watch: StoredWatch, policy: NetPolicy, timeout: float) -> str | None:
    """Send one delivery; None when it was accepted, else why not."""
    headers = {SIGNATURE_HEADER: signature(watch.secret, delivery.payload), DELIVERY_HEADER: str(delivery.id)}
    try:
        status = post_json(watch.webhook_url, delivery.payload, headers, policy, timeout).status_code
    except FetchError as e:
        return str(e)
    return None if 200 <= status < 300 else f"HTTP {status}"


def send_due(watches: WatchStore, policy: NetPolicy, config: DeliveryConfig) -> int:
    """Claim and send the deliveries that are due; how many were tried."""
    claimed = watches.claim_deliveries(time.time(), config.lease, BATCH)
    for delivery, watch in claimed:
        error = attempt(delivery, watch, policy, config.timeout)
        retry_at = None
        if error is not None and delivery.attempts < config.attempts:
            retry_at = time.time() + config.backoff * 2 ** (delivery.attempts - 1)
        watches.record_attempt(delivery.id, error, retry_at)
        if error is not None:
            logger.warning(
                "webhook delivery %d of watch %s, attempt %d: %s%s",
                delivery.id,
                watch.id,
                delivery.attempts,
                error,
                "" if retry_at else " (failed for good)",
            )
    return len(claimed)


async def deliver_forever(watches: WatchStore, policy: NetPolicy, config: DeliveryConfig) -> None:
    while True:
        try:
            sent = await anyio.to_thread.run_sync(send_due, watches, policy, config)
        except Exception:  # e.g. SQLite busy beyond its timeout: the next round tries again; the server stays up
            logger.exception("sending webhook deliveries failed")
            sent = 0
        if not sent:
            await anyio.sleep(config.poll)
