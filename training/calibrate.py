"""Fit the verdict calibrator (index/verdict.py) on the dev sets' check records, 2-fold, and choose the default
level below which a verdict is not decided.

    python benchmarks/calibrate.py --records averitec=averitec.jsonl --records covidfact=covidfact.jsonl \
        [--stance-model nli-minilm-l6] [--write] [--plot reliability.png] [--json OUT]

The records come from `averitec.py --records` and `covidfact.py --records`: each claim's evidence with the
stance model's scores, similarity and cue kinds. The statements' stances are judged again here with the
current rule (index.stance.combine), so a change to that rule is measured without re-running the model.

Each set is split in two halves (seeded); a calibrator fitted on both sets' first halves is scored on their
second halves and the other way round, each set weighing the same in the fit whatever its size. Reported for
every held-out half: ECE of the decided verdicts, macro-F1 over the set's verdicts, precision and count of each
decided verdict, coverage, and the precision / coverage curve over `min_confidence`. The default level is the
lowest at which decided verdicts are right at least TARGET of the time over the held-out halves of every set
(or of the sets named with `--level-on`) taken together; the curve also shows the worse half.
`--write` then fits on all claims and stores the fit for the stance model in index/calibration.json, as the
calibration profile named by `--profile` (index.verdict.CALIBRATIONS): `general` is fitted on both sets, `news`
on AVeriTeC alone (`--records averitec=...` only).
"""

import argparse
import dataclasses
import json
import random
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from common import ece, emit, load_jsonl, macro_f1, plot_reliability
from sklearn.linear_model import LogisticRegression

from index.stance import combine
from index.text.cues import Cue
from index.verdict import (
    CALIBRATION_FILE,
    CALIBRATIONS,
    DECIDED,
    FEATURES,
    NOT_ENOUGH,
    Calibrator,
    aggregate,
    decide_verdict,
    model_digest,
)

TARGET = 0.8  # decided verdicts right at least this often at the default level
LEVELS = [round(0.3 + 0.025 * i, 3) for i in range(27)]
REGULARISATION = 1.0  # sklearn's C: inverse L2 strength on features that lie in [0, 1]


class Judged:
    """One evidence record judged again with the current stance rule."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.text = record.get("text", "")
        self.reading = record.get("reading")
        self.similarity = record["similarity"]
        self.cues = [Cue(kind, None, None, "") for kind in record["cues"]]
        stance = combine(record["model"], self.similarity, self.cues)
        self.stance, self.stance_scores = stance.label, stance.scores
        self.publisher_key = record["publisher"]


Claim = tuple[str, str, list[Judged]]  # gold verdict, claim, judged evidence


def load(path: Path) -> list[Claim]:
    return [(r["gold"], r.get("claim", ""), [Judged(e) for e in r["evidence"]]) for r in load_jsonl(path)]


def load_sets(specs: list[str]) -> dict[str, list[Claim]]:
    """The records of each `--records NAME=FILE`, by name; a spec without `=` ends the script with a message."""
    sets = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            sys.exit(f"--records {spec!r}: expected NAME=FILE")
        sets[name] = load(Path(path))
    return sets


def halves(n: int, seed: int = 11) -> tuple[list[int], list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order[: n // 2], order[n // 2 :]


# --balance: within each set, each verdict weighs the same in the fit, so that the confidence assumes no set's
# base rate (AVeriTeC's claims are 59% refuted, COVID-Fact's 68%)
BALANCE = [False]


def fit(sets: dict[str, list[Claim]], source: str) -> Calibrator:
    """Multinomial logistic regression of the gold verdict on the aggregate's features; each set weighs the same
    (and, with BALANCE, each verdict within a set)."""
    x, y, w = [], [], []
    for claims in sets.values():
        counts = Counter(gold for gold, _, _ in claims)
        for gold, claim, evidence in claims:
            features = aggregate(claim, evidence)
            x.append([features[f] for f in FEATURES])
            y.append(gold)
            w.append(1.0 / (len(counts) * counts[gold]) if BALANCE[0] else 1.0 / len(claims))
    weights = np.array(w) * len(w) / sum(w)
    model = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(np.array(x), np.array(y), sample_weight=weights)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # one row, for the second class: as a softmax, the first class's row is 0
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return Calibrator(
        tuple(str(c) for c in model.classes_),
        FEATURES,
        tuple(tuple(round(float(v), 5) for v in row) for row in coef),
        tuple(round(float(b), 5) for b in intercept),
        source,
    )


def evaluate(calibrator: Calibrator, claims: list[Claim], level: float) -> dict[str, Any]:
    gold = [g for g, _, _ in claims]
    verdicts = [decide_verdict(claim, evidence, calibrator, level) for _, claim, evidence in claims]
    pred = [v.label for v in verdicts]
    decided = [(v.confidence, v.label == g) for v, g in zip(verdicts, gold, strict=True) if v.label != NOT_ENOUGH]
    per_verdict = {}
    for label in DECIDED:
        hits = [g == label for p, g in zip(pred, gold, strict=True) if p == label]
        per_verdict[label] = {"count": len(hits), "precision": round(sum(hits) / len(hits), 4) if hits else None}
    return {
        "claims": len(claims),
        "macro_f1": round(macro_f1(gold, pred), 4),
        "coverage": round(len(decided) / len(claims), 4),
        "decided_precision": round(sum(ok for _, ok in decided) / len(decided), 4) if decided else None,
        "ece_decided": round(ece([c for c, _ in decided], [ok for _, ok in decided]), 4) if decided else None,
        "per_verdict": per_verdict,
        "decided": decided,
    }


Fold = tuple[Calibrator, dict[str, list[Claim]]]  # a fit and the halves it did not see


def fold_indices(n: int) -> list[tuple[list[int], list[int]]]:
    """(fitted on, held out) of each fold: the first half then the second, and the other way round."""
    first, second = halves(n)
    return [(first, second), (second, first)]


def two_fold(sets: dict[str, list[Claim]]) -> list[Fold]:
    """A fit on every set's first half, tested on the second halves, and the other way round."""
    folds = []
    for fold in (0, 1):
        train, test = {}, {}
        for name, claims in sets.items():
            fit_on, held = fold_indices(len(claims))[fold]
            train[name], test[name] = [claims[i] for i in fit_on], [claims[i] for i in held]
        folds.append((fit(train, f"fold {fold}"), test))
    return folds


def precision_curve(folds: list[Fold], sets: dict[str, list[Claim]]) -> dict[str, list[dict[str, Any]]]:
    """Per set and level: coverage and precision of the decided verdicts over both held-out halves."""
    curve: dict[str, list[dict[str, Any]]] = {name: [] for name in sets}
    for level in [0.0, *LEVELS]:
        for name in sets:
            runs = [evaluate(cal, test[name], level) for cal, test in folds]
            decided = [d for r in runs for d in r["decided"]]
            curve[name].append(
                {
                    "level": level,
                    "coverage": round(len(decided) / sum(r["claims"] for r in runs), 4),
                    "precision": round(sum(ok for _, ok in decided) / len(decided), 4) if decided else None,
                    "min_fold_precision": min((r["decided_precision"] or 0.0) for r in runs),
                    "macro_f1": [r["macro_f1"] for r in runs],
                }
            )
    return curve


def default_level(curve: dict[str, list[dict[str, Any]]], level_on: list[str]) -> float | None:
    """The lowest level at which decided verdicts are right TARGET of the time on each of these sets."""
    reached = [
        level
        for i, level in enumerate([0.0, *LEVELS])
        if all((curve[name][i]["precision"] or 0.0) >= TARGET for name in level_on)
    ]
    return min(reached) if reached else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", action="append", required=True, metavar="NAME=FILE", help="a dev set's records")
    parser.add_argument("--stance-model", default="nli-minilm-l6", help="the stance model the records were made with")
    parser.add_argument(
        "--level-on",
        action="append",
        metavar="NAME",
        help="choose the default level on these sets only (repeatable; default: every set)",
    )
    parser.add_argument("--write", action="store_true", help=f"store the fit on all claims in {CALIBRATION_FILE.name}")
    parser.add_argument(
        "--profile", choices=CALIBRATIONS, default=CALIBRATIONS[0], help="the calibration profile --write stores"
    )
    parser.add_argument("--plot", type=Path, help="reliability diagram of the held-out halves at level 0 (PNG)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--balance", action="store_true", help="each verdict weighs the same within a set: no set's base rate"
    )
    args = parser.parse_args()
    BALANCE[0] = args.balance
    sets = load_sets(args.records)
    folds = two_fold(sets)
    curve = precision_curve(folds, sets)
    level_on = args.level_on or list(sets)
    default = default_level(curve, level_on)

    figures: dict[str, Any] = {
        "target_precision": TARGET,
        "level_chosen_on": level_on,
        "default_level": default,
        "held_out": {},
    }
    for name in sets:
        at = {}
        for label, level in (("all_decided", 0.0), ("default_level", default)):
            if level is None:
                continue
            runs = [evaluate(cal, test[name], level) for cal, test in folds]
            at[label] = [{k: v for k, v in r.items() if k != "decided"} for r in runs]
        figures["held_out"][name] = at | {"curve": curve[name]}
    if args.plot:
        curves = {}
        for name in sets:
            decided = [d for cal, test in folds for d in evaluate(cal, test[name], 0.0)["decided"]]
            curves[f"{name}, held-out halves"] = ([c for c, _ in decided], [ok for _, ok in decided])
        plot_reliability(args.plot, curves, "Held out, every verdict decided (min_confidence 0)")
    if args.write:
        weighing = ", each set weighing the same" if len(sets) > 1 else ""
        weighing += ", each verdict weighing the same within a set" if args.balance else ""
        source = (
            f"{' + '.join(f'{n} dev ({len(c)} claims)' for n, c in sets.items())}{weighing}; "
            f"benchmarks/calibrate.py, {date.today().isoformat()}"
        )
        model = Path(__file__).resolve().parent.parent / "index" / "stance" / args.stance_model / "model.onnx"
        calibrator = dataclasses.replace(
            fit(sets, source), min_confidence=default or 0.0, model_sha256=model_digest(model)
        )
        stored = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}
        models = stored.get("models", {})
        models[args.stance_model] = models.get(args.stance_model, {}) | {args.profile: calibrator.to_json()}
        tmp = CALIBRATION_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps({"models": models}, indent=1) + "\n", encoding="utf-8")
        tmp.replace(CALIBRATION_FILE)
        figures["written"] = {"model": args.stance_model, "profile": args.profile, "file": str(CALIBRATION_FILE)}
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
