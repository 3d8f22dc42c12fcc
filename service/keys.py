"""API keys: a JSON file of SHA-256 digests with scopes (`factdesk keys`, `--keys-file`), re-read when it changes.

Only the SHA-256 digest of a key is stored; a presented key is hashed and compared to every stored digest in
constant time. Scopes: `check` (check, search, read articles), `ingest` (create, replace, delete articles),
`admin` (metrics).
"""

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from factdesk.index.errors import InvalidInput

SCOPES = ("check", "ingest", "admin")
KEY_PREFIX = "fdk_"
logger = logging.getLogger("factdesk.http")


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

    A file that does not parse is refused when the ring is made (InvalidInput: the server does not start); when a
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
        except (InvalidInput, OSError) as e:
            if strict:
                raise InvalidInput(str(e)) from None
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
    except (ValueError, KeyError, TypeError, AttributeError) as e:  # json's errors are ValueErrors
        raise InvalidInput(f"{path}: not a factdesk keys file ({e})") from None
    for key in keys:
        if not all(isinstance(v, str) for v in (key.id, key.name, key.digest, key.created)) or not set(
            key.scopes
        ) <= set(SCOPES):
            raise InvalidInput(f"{path}: not a factdesk keys file (key {key.id!r} is malformed)")
    return keys


def create_key(path: Path, scopes: list[str], name: str = "") -> tuple[str, ApiKey]:
    """Add a new key to the file (created if missing, replaced atomically); returns (the key, its record)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
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
