"""The runs a stance model went through: each `--init` run keeps the one it went on from in its metrics."""

import json
from pathlib import Path
from typing import Any


def first_base(run: dict[str, Any] | None) -> str | None:
    """The `--base` the first run of a chain (a run and its `init_run`s) started from, if it had one."""
    while run:
        if base := run.get("config", {}).get("base"):
            return str(base)
        run = run.get("init_run")
    return None


def run_chain(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """This run and those it went on from (`--init`, kept as `init_run`), oldest first."""
    chain = []
    run: dict[str, Any] | None = metrics
    while run:
        chain.insert(0, run)
        run = run.get("init_run")
    return chain


def runs_before(init: Path | None) -> int:
    """How many runs the weights in `init` have been through (0 when training starts from a base)."""
    earlier = earlier_run(init)
    return len(run_chain(earlier)) if earlier else 0


def earlier_run(init: Path | None) -> dict[str, Any] | None:
    """The configuration and training figures of the run `init` came from, kept to reproduce this one."""
    if not init or not (init / "metrics.json").is_file():
        return None
    earlier = json.loads((init / "metrics.json").read_text(encoding="utf-8"))
    return {key: earlier[key] for key in ("config", "training", "init_run") if key in earlier}
