"""Fit the verdict calibrator (training/calibrate.py) on the dev sets' check records, 2-fold, and choose the
default level below which a verdict is not decided.

    python benchmarks/calibrate.py --records averitec=averitec.jsonl --records covidfact=covidfact.jsonl \
        [--stance-model nli-minilm-l6-l12-unsure] [--write] [--plot reliability.png] [--json OUT]

The records come from `averitec.py --records` and `covidfact.py --records`: each claim's evidence with the
stance model's scores, similarity and cue kinds. The statements' stances are judged again here with the
current rule (index.stance.combine, in training.calibrate), so a change to that rule is measured without
re-running the model.

Each set is split in two halves (seeded); a calibrator fitted on both sets' first halves is scored on their
second halves and the other way round, each set weighing the same in the fit whatever its size. Reported for
every held-out half: ECE of the decided verdicts, macro-F1 over the set's verdicts, precision and count of each
decided verdict, coverage, and the precision / coverage curve over `min_confidence`; `pooled`: both halves of a set
together (coverage, precision, mean confidence and ECE of the decided verdicts); per set, `clear_support`:
the claims whose best statement is entailed at least STRONG with no statement conflicting, and how many of them
are in fact supported (whether single-source support can be decided there). The default level is the
lowest at which decided verdicts are right at least TARGET of the time over the held-out halves of every set
(or of the sets named with `--level-on`) taken together, their ECE at most MAX_ECE on every set; the curve also
shows the worse half.
A verdict is decided only where a statement of its evidence takes its side, as every shipped fit decides
(`--no-needs-its-side`: the fit without that rule, its prior free to decide alone).
`--splits N` also fits and levels N splits of each set into halves (the shipped split and the N − 1 after it)
and reports the level each picks and their decided verdicts together: one split of a few hundred claims can put
the level a step or two off.
`--write` then fits on all claims and stores the fit for the stance model in the calibration file, as the
calibration profile named by `--profile` (index.verdict.CALIBRATIONS): `general` is fitted on both sets, `news`
on AVeriTeC alone (`--records averitec=...` only).
A general fit reads the claim's domain too (index.verdict.domain: how much the claim reads as a health claim; the
records' `health` where they give it, else the shipped domain model over the claim's embedding), so health and news
claims each weigh their evidence as claims of their kind do; `--no-domain` fits the evidence's features alone, as
the news profile does.
"""

import argparse
import sys
from functools import cache
from pathlib import Path
from typing import Any

from common import ece, emit, load_jsonl, macro_f1, plot_reliability

from factdesk.index.embed import Embedder, load_embedder
from factdesk.index.stance import CONFLICTS, SUPPORTS
from factdesk.index.verdict import (
    CALIBRATION_FILE,
    CALIBRATIONS,
    DECIDED,
    EVIDENCE_FEATURES,
    FEATURES,
    NOT_ENOUGH,
    STRONG,
    Calibrator,
    backed,
    decide_verdict,
)
from factdesk.index.verdict.domain import load_domain
from factdesk.training.calibrate import SPLIT_SEED, Claim, Fold, Judged, two_fold, write_fit

TARGET = 0.8  # decided verdicts right at least this often at the default level
MAX_ECE = 0.1  # and their confidence this near how often they are right, on every set
LOWEST_LEVEL = 0.5  # below, a decided verdict could be more likely wrong than right by its own confidence
LEVELS = [round(0.3 + 0.025 * i, 3) for i in range(27)]


def load(path: Path) -> list[Claim]:
    """A set's records as claims, each with its domain as the check reads it (the shipped domain model over the
    claim's embedding), unless the record gives one (`health`)."""
    records = load_jsonl(path)
    unknown = [r.get("claim", "") for r in records if "health" not in r]
    domains = iter(claim_domains(unknown))
    return [
        Claim(
            r["gold"],
            r.get("claim", ""),
            [Judged(e) for e in r["evidence"]],
            r["health"] if "health" in r else next(domains),
        )
        for r in records
    ]


_DOMAINS: dict[str, float] = {}  # claim → its domain, once a process: compare_verdicts.py loads the claims twice


def claim_domains(claims: list[str]) -> list[float]:
    unread = list(dict.fromkeys(c for c in claims if c not in _DOMAINS))
    if unread:
        domain = load_domain()
        vectors = _encoder().embed(unread)
        _DOMAINS.update((c, domain.health(v)) for c, v in zip(unread, vectors, strict=True))
    return [_DOMAINS[c] for c in claims]


@cache
def _encoder() -> Embedder:
    return load_embedder("onnx")


def load_sets(specs: list[str]) -> dict[str, list[Claim]]:
    """The records of each `--records NAME=FILE`, by name; a spec without `=` ends the script with a message."""
    sets = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            sys.exit(f"--records {spec!r}: expected NAME=FILE")
        sets[name] = load(Path(path))
    return sets


def clear_support(claims: list[Claim]) -> dict[str, Any]:
    """The claims whose best statement the model entails at least STRONG with no statement conflicting, and how
    many of them are in fact supported: whether single-source support can be decided on this set."""
    gold = [
        c.gold
        for c in claims
        if any(e.stance_scores[SUPPORTS] >= STRONG for e in c.evidence)
        and not any(e.stance == CONFLICTS for e in c.evidence)
    ]
    supported = gold.count("supported")
    return {"claims": len(gold), "supported": supported, "share": round(supported / len(gold), 4) if gold else None}


def evaluate(calibrator: Calibrator, claims: list[Claim], level: float) -> dict[str, Any]:
    gold = [c.gold for c in claims]
    verdicts = [decide_verdict(c.text, c.evidence, calibrator, level, health=c.health) for c in claims]
    pred = [v.label for v in verdicts]
    decided = [(v.confidence, v.label == g) for v, g in zip(verdicts, gold, strict=True) if v.label != NOT_ENOUGH]
    # a decided verdict that no statement of its pool takes the side of: the fit's base rate decided it
    unbacked = [
        v.label == g
        for v, g, c in zip(verdicts, gold, claims, strict=True)
        if v.label != NOT_ENOUGH and not backed(v.label, c.evidence)
    ]
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
        "decided_without_its_side": {"count": len(unbacked), "right": sum(unbacked)},
        "decided": decided,
    }


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Both held-out halves taken together, each claim scored by the fit that did not see it: the set's decided
    verdicts, how often right, their mean confidence and ECE (per half, about 30 of AVeriTeC's claims are decided
    at the default level: one half's ECE moves by 0.1 with a few claims)."""
    decided = [d for r in runs for d in r["decided"]]
    claims = sum(r["claims"] for r in runs)
    return {
        "claims": claims,
        "decided": len(decided),
        "coverage": round(len(decided) / claims, 4) if claims else None,
        "decided_precision": round(sum(ok for _, ok in decided) / len(decided), 4) if decided else None,
        "mean_confidence": round(sum(c for c, _ in decided) / len(decided), 4) if decided else None,
        "ece_decided": round(ece([c for c, _ in decided], [ok for _, ok in decided]), 4) if decided else None,
    }


def precision_curve(folds: list[Fold], sets: dict[str, list[Claim]]) -> dict[str, list[dict[str, Any]]]:
    """Per set and level: coverage and precision of the decided verdicts over both held-out halves."""
    curve: dict[str, list[dict[str, Any]]] = {name: [] for name in sets}
    for level in [0.0, *LEVELS]:
        for name in sets:
            runs = [evaluate(cal, test[name], level) for cal, test in folds]
            both = pooled(runs)
            curve[name].append(
                {
                    "level": level,
                    "coverage": both["coverage"],
                    "precision": both["decided_precision"],
                    "ece": both["ece_decided"],
                    "min_fold_precision": min((r["decided_precision"] or 0.0) for r in runs),
                    "macro_f1": [r["macro_f1"] for r in runs],
                    "decided_without_its_side": {
                        key: sum(r["decided_without_its_side"][key] for r in runs) for key in ("count", "right")
                    },
                }
            )
    return curve


def default_level(curve: dict[str, list[dict[str, Any]]], level_on: list[str]) -> float | None:
    """The lowest level from LOWEST_LEVEL at which decided verdicts are right TARGET of the time on each of these
    sets, with an ECE of at most MAX_ECE on every set: there, too, a decided verdict's confidence means how often
    it is right (on a flat precision curve the lowest level reaching TARGET can be one where it does not)."""
    reached = [
        level
        for i, level in enumerate([0.0, *LEVELS])
        if level >= LOWEST_LEVEL
        and all((curve[name][i]["precision"] or 0.0) >= TARGET for name in level_on)
        and all((curve[name][i]["ece"] or 0.0) <= MAX_ECE for name in curve)
    ]
    return min(reached) if reached else None


def over_splits(
    sets: dict[str, list[Claim]],
    level_on: list[str],
    first: dict[str, list[dict[str, Any]]],
    splits: int,
    balance: bool,
    needs_its_side: bool,
    features: tuple[str, ...],
) -> dict[str, Any]:
    """The level and the decided verdicts over `splits` splits of every set into halves (the shipped one and the
    seeds after it), each fitted and levelled as the shipped one: how far one split's figures can be trusted. Per
    set and level: the claims decided and right over all splits together, the worst split's precision, and the
    mean and largest ECE. `first`: the shipped split's curve, made already."""
    seeds = [SPLIT_SEED + i for i in range(splits)]
    curves = [first] + [
        precision_curve(two_fold(sets, balance, needs_its_side, seed, features), sets) for seed in seeds[1:]
    ]
    pooled_curve: dict[str, list[dict[str, Any]]] = {}
    for name, claims in sets.items():
        pooled_curve[name] = []
        for i, level in enumerate([0.0, *LEVELS]):
            points = [curve[name][i] for curve in curves]
            decided = [round((p["coverage"] or 0.0) * len(claims)) for p in points]
            right = [round((p["precision"] or 0.0) * d) for p, d in zip(points, decided, strict=True)]
            eces = [p["ece"] for p in points if p["ece"] is not None]
            precisions = [p["precision"] for p in points if p["precision"] is not None]
            pooled_curve[name].append(
                {
                    "level": level,
                    "coverage": round(sum(decided) / (len(claims) * splits), 4),
                    "precision": round(sum(right) / sum(decided), 4) if sum(decided) else None,
                    "worst_precision": min(precisions, default=None),
                    "ece_mean": round(sum(eces) / len(eces), 4) if eces else None,
                    "ece_max": max(eces, default=None),
                }
            )
    return {"seeds": seeds, "levels": [default_level(c, level_on) for c in curves], "curve": pooled_curve}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", action="append", required=True, metavar="NAME=FILE", help="a dev set's records")
    parser.add_argument(
        "--stance-model", default="nli-minilm-l6-l12-unsure", help="the stance model the records were made with"
    )
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
    parser.add_argument(
        "--domain",
        action=argparse.BooleanOptionalAction,
        help="the fits read the claim's domain too (default: in the general profile, where health and news claims "
        "are fitted together; the news profile fits news claims alone)",
    )
    parser.add_argument("--plot", type=Path, help="reliability diagram of the held-out halves at level 0 (PNG)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--balance", action="store_true", help="each verdict weighs the same within a set: no set's base rate"
    )
    parser.add_argument(
        "--needs-its-side",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="decide a verdict only when a statement takes its side (the prior never decides alone), as every "
        "shipped fit does (default)",
    )
    parser.add_argument(
        "--splits",
        type=int,
        default=1,
        metavar="N",
        help="also fit and level N splits of each set into halves (the shipped one first) and report them together",
    )
    args = parser.parse_args()
    if args.splits < 1:
        parser.error(f"--splits must be at least 1, not {args.splits}")
    sets = load_sets(args.records)
    domain = args.profile == "general" if args.domain is None else args.domain
    features = FEATURES if domain else EVIDENCE_FEATURES
    folds = two_fold(sets, args.balance, args.needs_its_side, features=features)
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
        at: dict[str, Any] = {"pooled": {}}
        for label, level in (("all_decided", 0.0), ("default_level", default)):
            if level is None:
                continue
            runs = [evaluate(cal, test[name], level) for cal, test in folds]
            at[label] = [{k: v for k, v in r.items() if k != "decided"} for r in runs]
            at["pooled"][label] = pooled(runs)
        figures["held_out"][name] = at | {"clear_support": clear_support(sets[name]), "curve": curve[name]}
    if args.splits > 1:
        figures["splits"] = over_splits(sets, level_on, curve, args.splits, args.balance, args.needs_its_side, features)
    if args.plot:
        curves = {}
        for name in sets:
            decided = [d for cal, test in folds for d in evaluate(cal, test[name], 0.0)["decided"]]
            curves[f"{name}, held-out halves"] = ([c for c, _ in decided], [ok for _, ok in decided])
        plot_reliability(args.plot, curves, "Held out, every verdict decided (min_confidence 0)")
    if args.write:
        figures["written"] = write_fit(
            sets, args.stance_model, args.profile, default, args.balance, args.needs_its_side, features
        )
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
