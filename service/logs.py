"""factdesk's log lines, as text or JSON lines (`--log-format json`)."""

import json
import logging
import sys
import time
from typing import Any

from factdesk.index.errors import InvalidInput

logger = logging.getLogger("factdesk.http")
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
        raise InvalidInput(f"log format {log_format!r}: expected text or json")
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("factdesk")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
