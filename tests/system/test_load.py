"""A bounded load test: 50 concurrent clients mixing check, search and ingest against a real server process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from serving import ROOT, start_server

pytestmark = pytest.mark.slow


def test_fifty_clients_no_errors_no_lost_writes(tmp_path: Path) -> None:
    # cue stance keeps the suite short; benchmarks/load.py runs the same mix against the model for the figures
    with start_server(tmp_path / "data", "--stance", "cues") as url:
        report = tmp_path / "load.json"
        run = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--url", url, "--clients", "50",
             "--duration", "10", "--json", str(report)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(report.read_text())
    assert figures["errors"] == 0 and figures["writes_lost"] == 0 and figures["store_matches_index"]
    assert figures["writes_acknowledged"] > 0 and {"check", "search", "ingest"} <= set(figures)
