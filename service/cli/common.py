"""What the commands share: settings flags, the archive they name, input and output files."""

import argparse
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from factdesk.index.archive import Archive
from factdesk.index.errors import FactdeskError, InvalidInput
from factdesk.index.retrieve.limits import TimeLimit
from factdesk.index.settings import Settings, described, parse_public_url
from factdesk.index.verdict import parse_calibration, parse_min_confidence
from factdesk.service.archive import open_archive
from factdesk.service.outbound.netguard import NetPolicy

MEANINGS = {f.name: f.metadata for f in described()}
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def setting_option(parser: argparse.ArgumentParser, flag: str, **options: Any) -> None:
    """A flag that overlays the setting of the same name: its meaning, variable and default come from the
    settings (index/settings.py); left out, the setting keeps its value from the environment."""
    name = flag.lstrip("-").replace("-", "_")
    about = MEANINGS[name]
    default = about["default"]
    shown = "on" if default is True else ("unset" if default in (None, "") else default)
    options.setdefault("help", f"{about['meaning']}; default ${about['env']}, else {shown}")
    parser.add_argument(flag, dest=name, default=None, **options)


def overlay(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with every flag given on the command line in place of its setting."""
    given: dict[str, Any] = {name: getattr(args, name) for name in MEANINGS if getattr(args, name, None) is not None}
    if "fetch" in given:
        given["fetch"] = given["fetch"] == "on"
    if "fetch_allow" in given:  # added to the networks the environment allows
        given["fetch_allow"] = ",".join(v for v in [settings.fetch_allow, *given["fetch_allow"]] if v)
    if "public_url" in given:
        given["public_url"] = parse_public_url(given["public_url"])
    for name in ("data_dir", "keys_file"):
        if name in given:
            given[name] = Path(given[name])
    return replace(settings, **given)


def argument(parse: Any) -> Any:
    """An argparse type from a settings parser: its InvalidInput as an argument error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except FactdeskError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return convert


level = argument(parse_min_confidence)
calibration = argument(parse_calibration)


def share(text: str) -> float:
    value = float(text) if NUMBER.fullmatch(text.strip()) else math.nan
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def net_policy(settings: Settings) -> NetPolicy:
    """Whether and where pages may be fetched; a bad network named after the flag that gives it."""
    try:
        return NetPolicy.parse(settings.fetch, [settings.fetch_allow])
    except InvalidInput as e:
        raise InvalidInput(f"--fetch-allow: {e}") from None


def archive(args: argparse.Namespace, check_encoder: bool = True) -> Archive:
    """The archive the command's settings name (never seeded: only a server seeds an empty data directory)."""
    settings: Settings = args.settings
    return open_archive(replace(settings, seed=False), check_encoder)


def time_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="only evidence from articles published on or before this ISO 8601 date or date-time",
    )
    p.add_argument(
        "--undated",
        choices=("include", "exclude"),
        default="include",
        help="whether articles without a publication date count (default include)",
    )


def time_limit(args: argparse.Namespace) -> TimeLimit:
    return TimeLimit.parse(args.as_of, args.undated)


@contextmanager
def atomic_output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a temp file renamed over `path` only when everything was written."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_input(file: str | None) -> tuple[bytes, str]:
    """The bytes of FILE, or of stdin for - or none, with the name to report errors under."""
    if file in (None, "-"):
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(file)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    return path.read_bytes(), str(path)
