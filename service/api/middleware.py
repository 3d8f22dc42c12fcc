"""Request ids and one log line per request (service/logs.py formats it as text or JSON)."""

import re
import time
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from factdesk.service.logs import logger

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def request_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: an `X-Request-ID` (the client's if well-formed, else a new one) on every response,
    in `scope["state"]["request_id"]`, and in the one line logged when the response is done."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableScopeHeaders.from_message(message)["x-request-id"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status[0],
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status[0],
                    "duration_ms": round(1000 * (time.perf_counter() - started), 1),
                    "client": client[0] if client else None,
                    "api_key": scope["state"].get("api_key"),
                },
            )

    return middleware
