"""`make bench`: the COVID-Fact benchmark and the scale benchmark, then one JSON summary with the targets.

    python benchmarks/bench.py --covidfact ../shared/data/dev/covidfact [--limit 1000] [--sizes 10000,100000]

Each part runs as its own process (progress on stderr) and writes its figures; the summary prints both and
checks them against the targets of the issues (ingest ≥ 500 statements/s, check p50 ≤ 40 ms and p99 ≤ 120 ms
with one client, server RSS ≤ 1.5 GB, recall@5 ≥ 0.85).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import emit

HERE = Path(__file__).resolve().parent


def run(script: str, *options: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        subprocess.run(
            [sys.executable, str(HERE / script), *options, "--json", str(out)], check=True, stdout=sys.stderr
        )
        return json.loads(out.read_text(encoding="utf-8"))


def targets(covidfact: dict[str, Any], scale: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        ("covidfact recall@5", covidfact["recall_at_5"], ">=", 0.85),
        ("covidfact ingest statements/s", covidfact["ingest_statements_per_s"], ">=", 500),
        ("covidfact ingest / bare encoder", covidfact["ingest_vs_encoder"], ">=", 0.9),
    ]
    for stage in scale["stages"]:
        n = f"{stage['statements']:,} statements"
        rows += [
            (f"{n}: ingest statements/s", stage["ingest"]["statements_per_s"], ">=", 500),
            (f"{n}: check p50 ms, 1 client", stage["check_1_client"]["p50_ms"], "<=", 40),
            (f"{n}: check p99 ms, 1 client", stage["check_1_client"]["p99_ms"], "<=", 120),
            (f"{n}: server peak RSS MB", stage["server"]["peak_rss_mb"], "<=", 1536),
        ]
    return [
        {
            "figure": name,
            "value": value,
            "target": f"{op} {goal}",
            "met": value >= goal if op == ">=" else value <= goal,
        }
        for name, value, op, goal in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--covidfact", type=Path, required=True, help="COVID-Fact dev directory")
    parser.add_argument("--limit", type=int, default=1000, help="COVID-Fact claims to check (seeded sample)")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic archive sizes (add 1000000: ~40 min)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    covidfact = run("covidfact.py", "--data", str(args.covidfact), "--limit", str(args.limit))
    scale = run("scale.py", "--sizes", args.sizes)
    summary = {"targets": targets(covidfact, scale), "covidfact": covidfact, "scale": scale}
    emit(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
