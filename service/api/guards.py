"""API keys with scopes and per-client rate limits.

Keys live in a JSON file (`--keys-file` / `FACTDESK_KEYS_FILE`); with no file configured the API is open,
as suits a local run. Only the SHA-256 digest of a key is stored; a presented key is hashed and compared
to every stored digest in constant time. Scopes: `check` (check, search, read articles), `ingest`
(create, replace, delete articles), `admin` (health counts are public; metrics are admin). A route whose
scope is `any` takes a valid key of any scope (`/v1/whoami`, which tells a client what its key may do).
"""

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware.rate_limit import DURATION_VALUES, CacheObject, RateLimitConfig, RateLimitMiddleware

from service.logs import logger

SCOPES = ("check", "ingest", "admin")
ANY_SCOPE = "any"
KEY_PREFIX = "fdk_"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="factdesk"'}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    id: str  # public: first characters of the digest, safe to log
    name: str
    digest: str
    scopes: tuple[str, ...]
    created: str


class KeyRing:
    """The keys file, re-read when it changes on disk so that new keys work without a restart.

    A file that does not parse is refused when the ring is made (ValueError: the server does not start); when a
    file that parsed changes into one that does not, the last good keys stay in force and the error is logged
    once per change, so a half-edited file never turns requests into 500s nor opens the API.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._keys: list[ApiKey] = []
        self._stamp: tuple[int, int] | None = None
        self._refused: tuple[int, int] | None = None
        self._load(strict=True)

    def _load(self, strict: bool = False) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._keys, self._stamp = [], None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp in (self._stamp, self._refused):
            return
        try:
            self._keys = read_keys(self.path)
        except (ValueError, OSError) as e:
            if strict:
                raise ValueError(str(e)) from None
            self._refused = stamp
            logger.error("keys file not reloaded, the last good keys stay in force: %s", e)
            return
        self._stamp, self._refused = stamp, None

    def find(self, presented: str) -> ApiKey | None:
        self._load()
        wanted = digest(presented)
        found = None
        for key in self._keys:  # no early exit: the time taken does not depend on which key matched
            if hmac.compare_digest(key.digest, wanted):
                found = key
        return found


def read_keys(path: Path) -> list[ApiKey]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = [ApiKey(**{**k, "scopes": tuple(k["scopes"])}) for k in data["keys"]]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: not a factdesk keys file ({e})") from None
    for key in keys:
        if not all(isinstance(v, str) for v in (key.id, key.name, key.digest, key.created)) or not set(
            key.scopes
        ) <= set(SCOPES):
            raise ValueError(f"{path}: not a factdesk keys file (key {key.id!r} is malformed)")
    return keys


def create_key(path: Path, scopes: list[str], name: str = "") -> tuple[str, ApiKey]:
    """Add a new key to the file (created if missing, replaced atomically); returns (the key, its record)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    hashed = digest(secret)
    record = ApiKey(
        id=hashed[:12],
        name=name,
        digest=hashed,
        scopes=tuple(s for s in SCOPES if s in scopes),
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        keys = read_keys(path) if path.exists() else []
        payload = json.dumps({"keys": [asdict(k) for k in [*keys, record]]}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return secret, record


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
        raise ValueError(f"rate limit {text!r}: expected COUNT/UNIT with UNIT one of {', '.join(DURATION_VALUES)}")
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
