"""How far the verdict features can go: what the stance model's scores tell the verdicts apart, and the
macro-F1 a calibrator over them reaches, held out and (as a bound no shipped fit can beat) on its own claims.

    python benchmarks/verdict_bound.py --records averitec=averitec.jsonl --records covidfact=covidfact.jsonl

The records come from `averitec.py --records` / `covidfact.py --records`. For each gold verdict: the mean of
the best entailment and best contradiction the model gives the 5 statements of a check, and the share of
claims where they pass 0.5. Then macro-F1 with every verdict decided, for the majority verdict, the shipped
fit's logistic regression 2-fold (calibrate.py's halves), the same with balanced class weights (which trade
accuracy for the rare verdicts), and that balanced fit with little regularisation scored on the claims it was
fitted on: an optimistic bound, since a fit can only lose on claims it has not seen.
"""

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from calibrate import load_sets
from common import emit, macro_f1
from sklearn.linear_model import LogisticRegression

from factdesk.index.stance import CONFLICTS, SUPPORTS
from factdesk.index.verdict import FEATURES, aggregate
from factdesk.training.calibrate import Claim, halves


def separation(claims: list[Claim]) -> dict[str, dict[str, float]]:
    rows: dict[str, list[tuple[float, float]]] = {}
    for c in claims:
        best = (
            max((e.stance_scores[SUPPORTS] for e in c.evidence), default=0.0),
            max((e.stance_scores[CONFLICTS] for e in c.evidence), default=0.0),
        )
        rows.setdefault(c.gold, []).append(best)
    out = {}
    for gold, values in sorted(rows.items()):
        a = np.array(values)
        out[gold] = {
            "claims": len(values),
            "mean_best_entail": round(float(a[:, 0].mean()), 3),
            "mean_best_contradict": round(float(a[:, 1].mean()), 3),
            "entail_over_half": round(float((a[:, 0] > 0.5).mean()), 3),
            "contradict_over_half": round(float((a[:, 1] > 0.5).mean()), 3),
        }
    return out


def bounds(claims: list[Claim]) -> dict[str, float]:
    x = np.array([[aggregate(c.text, c.evidence, c.health)[f] for f in FEATURES] for c in claims])
    y = np.array([c.gold for c in claims])

    def two_fold(**options: Any) -> float:
        pred = np.empty(len(y), dtype=object)
        first, second = halves(len(y))
        for fit_on, held in ((first, second), (second, first)):
            model = LogisticRegression(max_iter=5000, **options).fit(x[fit_on], y[fit_on])
            pred[held] = model.predict(x[held])
        return round(macro_f1(list(y), list(pred)), 4)

    majority = Counter(y).most_common(1)[0][0]
    own = LogisticRegression(C=100.0, max_iter=5000, class_weight="balanced").fit(x, y)
    return {
        "majority_verdict": round(macro_f1(list(y), [majority] * len(y)), 4),
        "logistic_2fold": two_fold(C=1.0),
        "logistic_balanced_2fold": two_fold(C=1.0, class_weight="balanced"),
        "logistic_balanced_on_its_own_claims": round(macro_f1(list(y), list(own.predict(x))), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", action="append", required=True, metavar="NAME=FILE", help="a dev set's records")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = {
        name: {"stance_by_gold_verdict": separation(claims), "macro_f1_every_verdict_decided": bounds(claims)}
        for name, claims in load_sets(args.records).items()
    }
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
