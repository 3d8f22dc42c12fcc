"""Every setting of factdesk, once: its type, environment variable, default and meaning.

The only place that reads the environment. `Settings()` reads it when made (a test makes its own with the values
it needs), `get_settings()` is the process's one copy; the command line's flags overlay it (`dataclasses.replace`)
and `factdesk serve` hands the result to its workers whole. docs/configuration.md is generated from the table
below (`factdesk config-docs`).
"""

import os

# before onnxruntime is imported anywhere (index.onnxrt imports this module first), or it tries to reach a
# telemetry host
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import Field, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from factdesk.index.errors import InvalidInput
from factdesk.index.verdict import parse_calibration, parse_min_confidence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_public_url(value: str | None) -> str | None:
    """The server's public address: http(s), a host, no query or fragment; InvalidInput else."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(f"public URL {value!r}: expected an http(s) address such as https://desk.example.org")
    return value.strip().rstrip("/")


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs, each value possibly a comma list ("10.0.0.0/8,127.0.0.1/32"); InvalidInput for one that is not."""
    networks = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                try:
                    networks.append(ipaddress.ip_network(part.strip()))
                except ValueError as e:  # ipaddress says why
                    raise InvalidInput(f"not a network (CIDR, e.g. 10.0.0.0/8): {part.strip()!r} ({e})") from None
    return tuple(networks)


def _networks(text: str) -> str:
    parse_networks([text])
    return text


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise InvalidInput(f"expected {' or '.join(options)}, not {text!r}")
        return text

    return parse


def _switch(text: str) -> bool:
    return text.strip().lower() != "off"


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise InvalidInput(f"expected a{'n integer' if kind is int else ' number'}, not {text!r}") from None

    return parse


def setting(env: str | None, default: Any, meaning: str, parse: Callable[[str], Any] = str) -> Any:
    """A field read from `env` when the settings are made (an unset or empty variable: `default`)."""

    def read() -> Any:
        raw = os.environ.get(env, "") if env else ""
        if not raw.strip():
            return default
        try:
            return parse(raw)
        except InvalidInput as e:
            raise InvalidInput(f"{env}: {e}") from None

    return field(default_factory=read, metadata={"env": env, "default": default, "meaning": meaning})


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = setting(  # noqa: RUF009 (each field reads its variable when the settings are made)
        "FACTDESK_DATA_DIR", Path("factdesk-data"), "data directory (SQLite store + FAISS index)", Path
    )
    vectors: str | None = setting(
        "FACTDESK_VECTORS",
        None,
        "where vectors live: FAISS in the data directory (unset), or Milvus: milvus:///path/milvus.db (Milvus Lite) "
        "or http://host:19530 (a server or cluster; pip install 'factdesk[milvus]')",
    )
    encoder: str = setting(
        "FACTDESK_ENCODER",
        "onnx",
        "embedding encoder: onnx (int8) or torch (the sentence-transformers reference)",
    )
    stance: str = setting(
        "FACTDESK_STANCE",
        "auto",
        "stance classifier: the shipped NLI model (a 6-layer network, with a 12-layer one's second opinion on the "
        "pairs it is unsure of; auto when installed; nli insists on it), fast (a 3-layer network distilled from the "
        "6-layer one, faster, less accurate), accurate (the mean of the 6- and 12-layer networks on every pair: "
        "slower) or cues alone",
    )
    min_confidence: float | None = setting(
        "FACTDESK_MIN_CONFIDENCE",
        None,
        "decide a verdict only when its calibrated probability (how often such a verdict was right on the dev sets) "
        "reaches this level, 0-1; below it the verdict is not_enough_evidence. Unset: the calibration's level",
        parse_min_confidence,
    )
    calibration: str = setting(
        "FACTDESK_CALIBRATION",
        parse_calibration(None),
        "which calibration turns evidence into verdict probabilities: general (fitted on real news claims and "
        "science claims together) or news (on real news claims alone: more claims supported, for a desk whose "
        "claims are news); each brings its own default level",
        parse_calibration,
    )
    fetch: bool = setting(
        "FACTDESK_FETCH",
        True,
        'whether `ingest URL` and `POST /v1/articles {"url": ...}` fetch pages and watches POST to their webhooks '
        "(on or off)",
        _switch,
    )
    fetch_allow: str = setting(
        "FACTDESK_FETCH_ALLOW",
        "",
        "networks pages may be fetched from although they are not public (loopback, private, link-local, ...), "
        "a comma list of CIDRs such as 10.0.0.0/8; unset: public addresses only",
        _networks,
    )
    host: str = setting("HOST", "127.0.0.1", "the address `factdesk serve` listens on")
    port: int = setting("PORT", 8000, "the port `factdesk serve` listens on", _number(int))
    keys_file: Path | None = setting(  # noqa: RUF009
        "FACTDESK_KEYS_FILE",
        None,
        "require API keys from this file (see `factdesk keys`); unset: no keys",
        Path,
    )
    rate_limit: str = setting(
        "FACTDESK_RATE_LIMIT",
        "off",
        "requests per key (or per client address without keys), e.g. 120/minute; per worker",
    )
    log_format: str = setting(
        "FACTDESK_LOG_FORMAT",
        "text",
        "request logs as text or JSON lines (request id, status, duration, API key id)",
        _choice("text", "json"),
    )
    public_url: str | None = setting(
        "FACTDESK_PUBLIC_URL",
        None,
        "the address readers reach the desk page at, e.g. https://desk.example.org: the url of ClaimReview drafts "
        "(without it they have none, never one made from the request's Host header)",
        parse_public_url,
    )
    organization: str = setting(
        "FACTDESK_ORGANIZATION", "factdesk", "the author of ClaimReview drafts (`Accept: application/ld+json`)"
    )
    webhook_backoff: float = setting(
        "FACTDESK_WEBHOOK_BACKOFF",
        30.0,
        "seconds before a failed webhook delivery is tried again, doubled after each further failure",
        _number(float),
    )
    webhook_attempts: int = setting(
        "FACTDESK_WEBHOOK_ATTEMPTS", 8, "tries of a webhook delivery before it fails for good", _number(int)
    )
    webhook_timeout: float = setting(
        "FACTDESK_WEBHOOK_TIMEOUT", 10.0, "seconds a webhook receiver has to answer one delivery", _number(float)
    )
    cache_dir: Path | None = setting(  # noqa: RUF009
        "FACTDESK_CACHE_DIR",
        None,
        "where the ONNX encoder is exported on first use, and int8 models are copied with signed weights where"
        " the CPU runs those faster; unset: ~/.cache/factdesk (or a temporary directory)",
        Path,
    )
    seed: bool = setting(None, True, "ingest seeds/ into an empty data directory when the server starts")
    max_body_bytes: int = setting(None, 16 * 2**20, "the largest request body the server reads")


@cache
def get_settings() -> Settings:
    """This process's settings, read from the environment once."""
    return Settings()


def described() -> tuple[Field[Any], ...]:
    """The settings' fields with their environment variable, default and meaning (`metadata`)."""
    return fields(Settings)


def settings_table(flags: dict[str, str] | None = None) -> str:
    """A Markdown table of every setting; `flags` names the command-line option of each field that has one."""
    flags = flags or {}
    rows = ["| setting | environment | flag | default | meaning |", "|---|---|---|---|---|"]
    for f in described():
        env, default = f.metadata["env"], f.metadata["default"]
        shown = "unset" if default in (None, "") else f"`{'on' if default is True else default}`"
        rows.append(
            f"| `{f.name}` | {f'`{env}`' if env else '–'} | {f'`{flags[f.name]}`' if f.name in flags else '–'} "
            f"| {shown} | {f.metadata['meaning']} |"
        )
    return "\n".join(rows) + "\n"
