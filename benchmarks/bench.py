"""`make bench`: the two dev sets, their 2-fold calibration, and the scale benchmark, then one JSON summary with
the targets.

    python benchmarks/bench.py --covidfact ../shared/data/dev/covidfact --averitec ../shared/data/dev/averitec \
        [--limit 1000] [--sizes 10000,100000] [--plot reliability.png]

Each part runs as its own process (progress on stderr) and writes its figures; the summary prints them all and
checks them against the targets of the issues (ingest ≥ 500 statements/s, check p50 ≤ 40 ms and p99 ≤ 120 ms
with one client, server RSS ≤ 1.5 GB, recall@5 ≥ 0.85; on AVeriTeC's held-out halves at the default level
decided verdicts right ≥ 80%, ECE ≤ 0.10, macro-F1 ≥ 0.50; COVID-Fact macro-F1 ≥ 0.45).
The verdict figures are `calibrate.py`'s: each half of each set scored by a calibrator fitted on the other halves,
deciding by the shipped fits' rule (`--needs-its-side`); the news calibration's are the same on AVeriTeC alone.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import emit

from factdesk.index.stance.model import DEFAULT
from factdesk.index.verdict import CALIBRATIONS, load_calibrator

HERE = Path(__file__).resolve().parent


def run(script: str, *options: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        subprocess.run(
            [sys.executable, str(HERE / script), *options, "--json", str(out)], check=True, stdout=sys.stderr
        )
        return json.loads(out.read_text(encoding="utf-8"))


def shipped_rule() -> list[str]:
    """calibrate.py's options for the rule the default model's shipped fits decide by (a verdict decided only where
    a statement takes its side), so that the summary measures what the service does."""
    fits = [load_calibrator(DEFAULT.name, profile) for profile in CALIBRATIONS]
    needs_its_side = all(fit is not None and fit.needs_its_side for fit in fits)
    return ["--needs-its-side" if needs_its_side else "--no-needs-its-side"]


def _mean(runs: list[dict[str, Any]], key: str) -> float:
    values = [r[key] if r[key] is not None else 0.0 for r in runs]
    return round(sum(values) / len(values), 4)


NONE_DECIDED = [{"decided_precision": 0.0, "ece_decided": 1.0, "macro_f1": 0.0}]


def targets(
    covidfact: dict[str, Any],
    averitec: dict[str, Any],
    calibration: dict[str, Any],
    news_calibration: dict[str, Any],
    scale: dict[str, Any],
    checkworthiness: dict[str, Any],
) -> list[dict[str, Any]]:
    news = calibration["held_out"]["averitec"]
    at_default = news.get("default_level") or NONE_DECIDED
    news_fit = news_calibration["held_out"]["averitec"]
    rows = [
        ("averitec recall@5", averitec["recall_at_5"], ">=", 0.85),
        (
            "averitec decided verdicts right (held out, default level)",
            _mean(at_default, "decided_precision"),
            ">=",
            0.8,
        ),
        ("averitec ECE of decided verdicts (held out, default level)", _mean(at_default, "ece_decided"), "<=", 0.1),
        (
            "averitec ECE of decided verdicts (held out, both halves pooled, default level)",
            (news["pooled"].get("default_level") or NONE_DECIDED[0])["ece_decided"],
            "<=",
            0.1,
        ),
        ("averitec macro-F1, 4 verdicts (held out, default level)", _mean(at_default, "macro_f1"), ">=", 0.5),
        ("averitec macro-F1, every verdict decided (held out)", _mean(news["all_decided"], "macro_f1"), ">=", 0.5),
        (
            "averitec, news calibration: decided verdicts right (held out, its level)",
            _mean(news_fit.get("default_level") or NONE_DECIDED, "decided_precision"),
            ">=",
            0.8,
        ),
        (
            "averitec, news calibration: macro-F1, every verdict decided (held out)",
            _mean(news_fit["all_decided"], "macro_f1"),
            ">=",
            0.5,
        ),
        (
            "covidfact macro-F1, every verdict decided (held out)",
            _mean(calibration["held_out"]["covidfact"]["all_decided"], "macro_f1"),
            ">=",
            0.45,
        ),
        ("covidfact recall@5", covidfact["recall_at_5"], ">=", 0.85),
        ("covidfact ingest statements/s", covidfact["ingest_statements_per_s"], ">=", 500),
        ("covidfact ingest / bare encoder", covidfact["ingest_vs_encoder"], ">=", 0.9),
        (
            "claimbuster check-worthiness AP (4-fold)",
            checkworthiness["claimbuster"]["model"]["average_precision"],
            ">=",
            0.87,
        ),
        (
            "claimbuster check-worthiness F1 at the default level",
            checkworthiness["claimbuster"]["model"]["f1"],
            ">=",
            0.78,
        ),
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
    parser.add_argument("--averitec", type=Path, required=True, help="AVeriTeC dev directory")
    parser.add_argument("--plot", type=Path, help="reliability diagram of the held-out calibration (PNG)")
    parser.add_argument("--limit", type=int, default=1000, help="COVID-Fact claims to check (seeded sample)")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic archive sizes (add 1000000: ~40 min)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp)
        covidfact = run(
            "covidfact.py", "--data", str(args.covidfact), "--limit", str(args.limit), "--records", f"{tmp}/cf.jsonl"
        )
        averitec = run(
            "averitec.py",
            "--data",
            str(args.averitec),
            "--covidfact",
            str(args.covidfact),
            "--records",
            f"{tmp}/av.jsonl",
        )
        plot = ["--plot", str(args.plot)] if args.plot else []
        rule = shipped_rule()
        calibration = run(
            "calibrate.py",
            "--records",
            f"averitec={records / 'av.jsonl'}",
            "--records",
            f"covidfact={records / 'cf.jsonl'}",
            "--level-on",
            "averitec",
            *rule,
            *plot,
        )
        news_calibration = run(
            "calibrate.py", "--records", f"averitec={records / 'av.jsonl'}", "--profile", "news", *rule
        )
    scale = run("scale.py", "--sizes", args.sizes)
    shared = args.covidfact.parents[1]  # ../shared/data
    checkworthiness = run(
        "checkworthiness.py",
        "--data",
        str(shared / "checkworthiness" / "claimbuster.jsonl"),
        "--claims",
        str(shared / "nli" / "nli_pairs.jsonl.gz"),
    )
    summary = {
        "targets": targets(covidfact, averitec, calibration, news_calibration, scale, checkworthiness),
        "covidfact": covidfact,
        "averitec": averitec,
        "calibration": calibration,
        "news_calibration": news_calibration,
        "scale": scale,
        "checkworthiness": checkworthiness,
    }
    emit(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
