"""The API-key guard and per-client rate limits.

With no keys file configured the API is open, as suits a local run (service/keys.py holds the keys). A route's
scope is its `opt["scope"]` (set once per controller); a route whose scope is `any` takes a valid key of any scope
(`/v1/whoami`, which tells a client what its key may do). Health counts are public.
"""

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware.rate_limit import DURATION_VALUES, CacheObject, RateLimitConfig, RateLimitMiddleware

from factdesk.index.errors import InvalidInput
from factdesk.service.keys import KeyRing

ANY_SCOPE = "any"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="factdesk"'}


def presented_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return connection.headers.get("x-api-key") or None


def require_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: a valid key with the route's scope (`opt={"scope": ...}`), when keys are switched on."""
    ring: KeyRing | None = connection.app.state.get("keys")
    scope = handler.opt.get("scope")
    if ring is None or scope is None:
        return
    presented = presented_key(connection)
    if presented is None:
        raise NotAuthorizedException("an API key is required (Authorization: Bearer <key>)", headers=CHALLENGE)
    key = ring.find(presented)
    if key is None:
        raise NotAuthorizedException("the API key is not valid", headers=CHALLENGE)
    if scope != ANY_SCOPE and scope not in key.scopes:
        raise PermissionDeniedException(f"this API key lacks the {scope!r} scope")
    connection.scope["state"]["api_key"] = key.id
    connection.scope["state"]["api_key_record"] = key


def parse_rate(text: str) -> tuple[str, int] | None:
    """`"120/minute"` → ("minute", 120); `"off"` or empty → None."""
    text = text.strip().lower()
    if text in ("", "off", "none", "0"):
        return None
    count, _, unit = text.partition("/")
    unit = unit.strip() or "minute"
    if unit not in DURATION_VALUES or not count.strip().isdigit() or int(count) < 1:
        raise InvalidInput(f"rate limit {text!r}: expected COUNT/UNIT with UNIT one of {', '.join(DURATION_VALUES)}")
    return unit, int(count)


class _RateLimit(RateLimitMiddleware):
    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        if len(cache_object.history) >= self.max_requests:
            headers["Retry-After"] = str(max(1, cache_object.reset - int(time.time())))
        return headers


def client_id(request: Any) -> str:
    """Who a request comes from, for per-client limits: its key when it sends a valid one, else its address."""
    ring: KeyRing | None = request.app.state.get("keys")
    presented = presented_key(request)
    if ring is not None and presented is not None:
        key = ring.find(presented)
        if key is not None:
            return f"key:{key.id}"
    return f"addr:{request.client.host if request.client else 'unknown'}"


def rate_limit(rate: tuple[str, int]) -> RateLimitConfig:
    """Requests per key when the client sends a valid one, else per client address; health is exempt."""
    identify = client_id

    return RateLimitConfig(
        rate_limit=rate,  # type: ignore[arg-type]
        exclude=["/health", "/schema", "/static"],
        identifier_for_request=identify,
        middleware_class=_RateLimit,
    )
