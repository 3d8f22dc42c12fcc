"""Two stance models' verdicts on the same dev claims, held out, with how sure the difference is.

    python benchmarks/compare_verdicts.py --old averitec=av-old.jsonl --old covidfact=cf-old.jsonl \
        --new averitec=av-new.jsonl --new covidfact=cf-new.jsonl [--level-on averitec] [--resamples 2000]

Each model's records (from `averitec.py --records` / `covidfact.py --records`, the same claims in the same
order) are calibrated 2-fold as `calibrate.py` does, so every claim gets the verdict of a fit that did not see
it: with every verdict decided, and at the model's own default level (chosen on `--level-on`, as shipped).
Per set: macro-F1 of each model, the difference (new − old), its 95% interval over a paired bootstrap of the
claims, and the share of resamples in which the new model is ahead. On a dev set of a few hundred claims a
difference of a few points is often inside that interval: a model is better there only when the interval
stays above 0. Both sides are calibrated by the shipped rule (`calibrate.py --needs-its-side`);
`--no-old-needs-its-side` / `--no-new-needs-its-side` calibrate that side without it, so the rule itself can be set
against the fit without it on the same records.
`--same-fit` decides the new records with the old records' fits and level, for a change of the reader (the same
model) that alters a handful of statements: a refit on records that differ only there moves other claims, and on
AVeriTeC one claim among the 70 decided can move the level a step.
"""

import argparse
import random
import sys
from pathlib import Path
from typing import Any

from calibrate import default_level, load_sets, precision_curve
from common import emit, macro_f1

from factdesk.index.verdict import decide_verdict
from factdesk.training.calibrate import Claim, Fold, fold_indices, two_fold

Fits = tuple[list[Fold], float | None]  # the 2-fold fits of some records and the default level they give


def fits(sets: dict[str, list[Claim]], level_on: list[str], needs_its_side: bool = False) -> Fits:
    folds = two_fold(sets, needs_its_side=needs_its_side)
    return folds, default_level(precision_curve(folds, sets), level_on)


def held_out_verdicts(
    sets: dict[str, list[Claim]], fitted: Fits
) -> tuple[float | None, dict[str, dict[str, list[str]]]]:
    """The default level and, per set, every claim's verdict (in the records' order) from the fit that did not see
    it: with every verdict decided ("all_decided") and at that level ("default_level", left out when no level
    reaches the target). `fitted`: these records' own fits, or (`--same-fit`) those of the old records."""
    folds, level = fitted
    out: dict[str, dict[str, list[str]]] = {}
    for name, claims in sets.items():
        by_mode: dict[str, list[str]] = {}
        for mode, at in (("all_decided", 0.0), ("default_level", level)):
            if at is None:
                continue
            labels = [""] * len(claims)
            for (calibrator, _), (_, held) in zip(folds, fold_indices(len(claims)), strict=True):
                for i in held:
                    c = claims[i]
                    labels[i] = decide_verdict(c.text, c.evidence, calibrator, at, health=c.health).label
            by_mode[mode] = labels
        out[name] = by_mode
    return level, out


def paired_bootstrap(gold: list[str], old: list[str], new: list[str], resamples: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    n = len(gold)
    diffs = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        g = [gold[i] for i in idx]
        diffs.append(macro_f1(g, [new[i] for i in idx]) - macro_f1(g, [old[i] for i in idx]))
    diffs.sort()
    old_f1, new_f1 = macro_f1(gold, old), macro_f1(gold, new)
    return {
        "old": round(old_f1, 4),
        "new": round(new_f1, 4),
        "difference": round(new_f1 - old_f1, 4),
        "interval_95": [round(diffs[int(0.025 * resamples)], 4), round(diffs[int(0.975 * resamples) - 1], 4)],
        "new_ahead_share": round(sum(d > 0 for d in diffs) / resamples, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", action="append", required=True, metavar="NAME=FILE", help="the shipped model records")
    parser.add_argument("--new", action="append", required=True, metavar="NAME=FILE", help="the candidate's records")
    parser.add_argument("--level-on", action="append", metavar="NAME", help="sets the default level is chosen on")
    parser.add_argument("--resamples", type=int, default=2000)
    for side in ("old", "new"):
        parser.add_argument(
            f"--{side}-needs-its-side",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=f"calibrate the {side} records deciding only with a statement on the verdict's side, as every "
            "shipped fit does (default)",
        )
    parser.add_argument(
        "--same-fit",
        action="store_true",
        help="decide the new records with the old records' fits and level: a change of the reader alone",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    old_sets, new_sets = load_sets(args.old), load_sets(args.new)
    if old_sets.keys() != new_sets.keys():
        sys.exit("--old and --new must name the same sets")
    for name in old_sets:
        if [c.text for c in old_sets[name]] != [c.text for c in new_sets[name]]:
            sys.exit(f"{name}: the two records do not hold the same claims in the same order")
    if args.resamples < 100:
        sys.exit("--resamples must be at least 100")
    level_on = args.level_on or list(old_sets)
    old_fits = fits(old_sets, level_on, args.old_needs_its_side)
    new_fits = old_fits if args.same_fit else fits(new_sets, level_on, args.new_needs_its_side)
    old_level, old = held_out_verdicts(old_sets, old_fits)
    new_level, new = held_out_verdicts(new_sets, new_fits)
    figures: dict[str, Any] = {"default_level": {"old": old_level, "new": new_level}}
    for name, claims in old_sets.items():
        gold = [c.gold for c in claims]
        figures[name] = {
            mode: paired_bootstrap(gold, old[name][mode], new[name][mode], args.resamples)
            for mode in old[name]
            if mode in new[name]
        }
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
