"""benchmarks/calibrate.py on records with a known answer: the fit finds it, the held-out figures and the level
come out, the diagram is written, and the stored fit is one the verdict can load."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from serving import ROOT


def _records(path: Path, n: int, seed: int, wrong: float = 0.15, health: float | None = 0.0) -> None:
    """Claims whose best statement entails them when true and contradicts them when false, except for a share
    `wrong` of them; the gold verdicts depend on `seed` alone. `health`: the claims' domain as the records give it
    (None: none given, so calibrate.py reads it with the shipped domain model)."""
    golds, rng = random.Random(seed), random.Random(f"{seed} {wrong}")
    lines = []
    for i in range(n):
        gold = golds.choice(["supported", "refuted"])
        sure = rng.uniform(0.6, 0.99) if rng.random() >= wrong else rng.uniform(0.0, 0.4)
        e, c = (sure, 1 - sure) if gold == "supported" else (1 - sure, sure)
        evidence = {
            "text": "Two bridges were destroyed in the fighting.",
            "similarity": rng.uniform(0.5, 0.9),
            "model": [e * 0.9, 0.1, c * 0.9],
            "cues": [],
            "publisher": "a",
            "gold": True,
        }
        record = {"id": str(i), "claim": "Two bridges were destroyed", "gold": gold, "evidence": [evidence]}
        lines.append(json.dumps(record | ({} if health is None else {"health": health})))
    path.write_text("\n".join(lines) + "\n")


def _swaps(path: Path, n: int) -> None:
    """Every claim's statement entails it in the claim's words; news claims (even lines) are then true, health
    claims two times in five (the rest are one-word swaps of the statement's finding that the model entails all the
    same)."""
    lines = []
    for i in range(n):
        health = i % 2 == 1
        gold = "supported" if not health or (i // 2) % 5 < 2 else "refuted"
        evidence = {
            "text": "Two bridges were destroyed",
            "similarity": 0.8,
            "model": [0.9, 0.05, 0.05],
            "cues": [],
            "publisher": "a",
        }
        record = {"claim": "Two bridges were destroyed", "gold": gold, "health": float(health), "evidence": [evidence]}
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")


def test_calibrate_fits_scores_and_chooses_a_level(tmp_path: Path) -> None:
    _records(tmp_path / "a.jsonl", 300, 1)
    _records(tmp_path / "b.jsonl", 200, 2)
    out, plot = tmp_path / "figures.json", tmp_path / "reliability.png"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={tmp_path / 'a.jsonl'}",
         "--records", f"b={tmp_path / 'b.jsonl'}", "--level-on", "a", "--plot", str(plot), "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["level_chosen_on"] == ["a"] and 0 <= figures["default_level"] < 1
    for name in ("a", "b"):
        folds = figures["held_out"][name]["default_level"]
        assert len(folds) == 2 and all(f["decided_precision"] >= 0.75 for f in folds)
        assert all(f["ece_decided"] <= 0.15 for f in figures["held_out"][name]["all_decided"])
        # both halves together: every claim scored once, by the fit that did not see it
        both = figures["held_out"][name]["pooled"]["default_level"]
        assert both["claims"] == {"a": 300, "b": 200}[name]
        assert both["decided"] == round(sum(f["coverage"] * f["claims"] for f in folds))
        low, high = sorted(f["decided_precision"] for f in folds)
        assert low <= both["decided_precision"] <= high and 0 <= both["ece_decided"] <= 0.15
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_the_general_fit_reads_the_claims_domain(tmp_path: Path) -> None:
    """The same entailing statement means a true news claim and, more often than not, a false health claim: with
    the domain the general fit decides the news claims and leaves the health ones undecided (no statement
    conflicts); the news fit, which does not read the domain, cannot tell them apart."""
    _swaps(tmp_path / "a.jsonl", 400)
    figures = {}
    for profile in ("general", "news"):
        out = tmp_path / f"{profile}.json"
        run = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={tmp_path / 'a.jsonl'}",
             "--profile", profile, "--json", str(out)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        figures[profile] = json.loads(out.read_text())
    general = figures["general"]["held_out"]["a"]["pooled"]["default_level"]
    assert general["decided_precision"] == 1.0 and general["coverage"] == 0.5  # the news claims
    assert figures["news"]["default_level"] is None  # 70% right whatever the level
    assert figures["news"]["held_out"]["a"]["pooled"]["all_decided"]["decided_precision"] == 0.7


def test_calibrate_reads_the_domain_of_records_that_lack_it(tmp_path: Path) -> None:
    _records(tmp_path / "a.jsonl", 60, 1, health=None)
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={tmp_path / 'a.jsonl'}",
         "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(out.read_text())["held_out"]["a"]["pooled"]["all_decided"]["claims"] == 60


def test_calibrate_reports_other_splits_into_halves(tmp_path: Path) -> None:
    _records(tmp_path / "a.jsonl", 300, 1)
    _records(tmp_path / "b.jsonl", 200, 2)
    out = tmp_path / "figures.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={tmp_path / 'a.jsonl'}",
               "--records", f"b={tmp_path / 'b.jsonl'}", "--level-on", "a", "--json", str(out)]  # fmt: skip
    run = subprocess.run([*command, "--splits", "3"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text())
    splits = figures["splits"]
    assert splits["seeds"] == [11, 12, 13] and len(splits["levels"]) == 3
    assert splits["levels"][0] == figures["default_level"]  # the shipped split comes first
    for name in ("a", "b"):
        # level 0 decides every claim of these records on every split; the splits together are right at least as
        # often as the worst of them
        every = splits["curve"][name][0]
        assert every["level"] == 0.0 and every["coverage"] == 1.0
        assert every["worst_precision"] <= every["precision"] and 0 <= every["ece_mean"] <= every["ece_max"] <= 0.15
        # the other splits hold out other claims: somewhere along the curve their figures differ from the first's
        first = figures["held_out"][name]["curve"]
        assert len(splits["curve"][name]) == len(first)
        assert any(r["precision"] != q["precision"] for r, q in zip(splits["curve"][name], first, strict=True))
    run = subprocess.run([*command, "--splits", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "--splits must be at least 1" in run.stderr


def test_calibrate_refuses_a_bad_records_option(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", "no-equals-sign"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0 and "expected NAME=FILE" in run.stderr


def test_compare_verdicts_tells_the_better_model(tmp_path: Path) -> None:
    for name, wrong in (("old", 0.15), ("new", 0.02)):
        _records(tmp_path / f"a-{name}.jsonl", 300, 1, wrong)
        _records(tmp_path / f"b-{name}.jsonl", 200, 2, wrong)
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_verdicts.py"),
         "--old", f"a={tmp_path / 'a-old.jsonl'}", "--old", f"b={tmp_path / 'b-old.jsonl'}",
         "--new", f"a={tmp_path / 'a-new.jsonl'}", "--new", f"b={tmp_path / 'b-new.jsonl'}",
         "--level-on", "a", "--resamples", "300", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text())
    for name in ("a", "b"):
        every = figures[name]["all_decided"]
        assert every["new"] > every["old"] and every["interval_95"][0] > 0 and every["new_ahead_share"] > 0.95
        assert figures[name]["default_level"]["old"] <= figures[name]["default_level"]["new"]
    assert all(0 <= level < 1 for level in figures["default_level"].values())
    mismatched = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_verdicts.py"),
         "--old", f"a={tmp_path / 'a-old.jsonl'}", "--new", f"a={tmp_path / 'b-new.jsonl'}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert mismatched.returncode != 0 and "same claims" in mismatched.stderr


def test_compare_verdicts_can_hold_the_old_fit(tmp_path: Path) -> None:
    for name, wrong in (("old", 0.15), ("new", 0.02)):
        _records(tmp_path / f"a-{name}.jsonl", 300, 1, wrong)
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_verdicts.py"),
         "--old", f"a={tmp_path / 'a-old.jsonl'}", "--new", f"a={tmp_path / 'a-new.jsonl'}",
         "--same-fit", "--resamples", "300", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["default_level"]["new"] == figures["default_level"]["old"]  # the old records' level
    assert figures["a"]["all_decided"]["new"] > figures["a"]["all_decided"]["old"]  # evidence read right more often


def _statement(model: list[float]) -> dict[str, object]:
    return {"text": "Two bridges were destroyed.", "similarity": 0.8, "model": model, "cues": [], "publisher": "a"}


def _append(path: Path, claims: list[tuple[str, list[dict[str, object]]]]) -> None:
    """Records of (gold verdict, evidence) added to those `_records` wrote."""
    with path.open("a") as f:
        for i, (gold, evidence) in enumerate(claims):
            f.write(
                json.dumps({"id": f"x{i}", "claim": "Two bridges were destroyed", "gold": gold, "evidence": evidence})
            )
            f.write("\n")


def test_calibrate_counts_the_clearly_supported_claims_that_are_true(tmp_path: Path) -> None:
    """Among claims with a statement entailed at least STRONG and none conflicting, the share in fact supported."""
    path = tmp_path / "a.jsonl"
    _records(path, 200, 1)  # entailment never above 0.9
    entailed, contradicted = _statement([0.95, 0.03, 0.02]), _statement([0.02, 0.03, 0.95])
    loose = _statement([0.5, 0.4, 0.1])
    _append(
        path,
        [
            ("supported", [entailed]),
            ("refuted", [entailed]),
            ("not_enough_evidence", [entailed, loose]),
            ("refuted", [entailed, contradicted]),  # a statement conflicts: not clear support
            ("supported", [loose]),
        ],
    )
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={path}", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(out.read_text())["held_out"]["a"]["clear_support"] == {
        "claims": 3,
        "supported": 1,
        "share": 0.3333,
    }


def test_calibrate_with_needs_its_side_decides_nothing_the_prior_alone_decides(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _records(path, 200, 1, wrong=0.3)
    # claims with only a neutral statement: the fit's prior is all that could decide them
    _append(path, [("refuted", [_statement([0.1, 0.85, 0.05])])] * 40)
    counts = {}
    for rule, flag in (("shipped", []), ("without", ["--no-needs-its-side"])):  # the default: every shipped fit's
        out = tmp_path / f"figures-{rule}.json"
        run = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--records", f"a={path}", "--json", str(out),
             *flag],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        curve = json.loads(out.read_text())["held_out"]["a"]["curve"]
        counts[rule] = curve[0]["decided_without_its_side"]["count"]  # level 0: every verdict decided
    assert counts["shipped"] == 0 and counts["without"] >= 40


def test_the_level_is_one_where_the_confidence_is_near_how_often_verdicts_are_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from calibrate import LEVELS, default_level

    def point(level: float, precision: float, ece: float) -> dict[str, float]:
        return {"level": level, "precision": precision, "ece": ece}

    flat = [point(level, 0.81, 0.15 if level < 0.7 else 0.05) for level in [0.0, *LEVELS]]
    calibrated = [point(level, 0.75, 0.02) for level in [0.0, *LEVELS]]
    # "a" reaches the target from the lowest level, but its confidence understates it until 0.7
    assert default_level({"a": flat, "b": calibrated}, ["a"]) == 0.7
    assert default_level({"a": [dict(p, ece=0.05) for p in flat], "b": calibrated}, ["a"]) == 0.5
    assert default_level({"a": flat, "b": [dict(p, ece=0.2) for p in calibrated]}, ["a"]) is None


def test_make_bench_calibrates_by_the_shipped_rule() -> None:
    """`make bench`'s verdict figures decide as the service does: only where a statement takes the verdict's side,
    when the default model's shipped fits say so."""
    from factdesk.index.stance.model import DEFAULT
    from factdesk.index.verdict import load_calibrator

    probe = "import bench, json; print(json.dumps(bench.shipped_rule()))"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    shipped = load_calibrator(DEFAULT.name)
    assert shipped is not None and shipped.needs_its_side
    assert json.loads(run.stdout) == ["--needs-its-side"]
