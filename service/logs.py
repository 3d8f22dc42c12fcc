"""Request ids and one log line per request, as text or JSON lines (`--log-format json`)."""

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("factdesk.http")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "client", "api_key")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in FIELDS if getattr(record, name, None) is not None}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str) -> None:
    """Send factdesk's loggers to stderr, as text or JSON lines."""
    if log_format not in ("text", "json"):
        raise ValueError(f"log format {log_format!r}: expected text or json")
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("factdesk")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


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
