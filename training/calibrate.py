"""The verdict calibrator's fit (index.verdict.Calibrator) on the dev sets' check records: a multinomial logistic
regression of the gold verdict on the evidence's features, 2-fold over each set's halves, and the fit on all claims
stored for a stance model in the calibration file (index.verdict). `benchmarks/calibrate.py` runs it and prints the
held-out figures.

The statements' stances are judged again here with the current rule (index.stance.combine), so a change to that
rule is measured without re-running the model.
"""

import dataclasses
import json
import random
from collections import Counter
from datetime import date
from typing import Any, NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from factdesk.index.stance import combine
from factdesk.index.stance.model import SHIPPED
from factdesk.index.text.cues import Cue
from factdesk.index.verdict import CALIBRATION_FILE, FEATURES, Calibrator, aggregate, model_digest
from factdesk.index.verdict.domain import domain_digest

REGULARISATION = 1.0  # sklearn's C: inverse L2 strength on features that lie in [0, 1]


class Judged:
    """One evidence record judged again with the current stance rule."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.text = record.get("text", "")
        self.reading = record.get("reading")
        self.context = record.get("context")
        self.similarity = record["similarity"]
        self.cues = [Cue(kind, None, None, "") for kind in record["cues"]]
        stance = combine(record["model"], self.similarity, self.cues)
        self.stance, self.stance_scores = stance.label, stance.scores
        self.publisher_key = record["publisher"]


class Claim(NamedTuple):
    gold: str  # the gold verdict
    text: str
    evidence: list[Judged]
    health: float = 0.0  # the claim's domain (index.verdict.domain)


SPLIT_SEED = 11  # the split of each dev set into halves that the shipped figures and level come from


def halves(n: int, seed: int = SPLIT_SEED) -> tuple[list[int], list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order[: n // 2], order[n // 2 :]


def fit(
    sets: dict[str, list[Claim]],
    source: str,
    balance: bool = False,
    needs_its_side: bool = False,
    features: tuple[str, ...] = FEATURES,
) -> Calibrator:
    """Multinomial logistic regression of the gold verdict on these of the aggregate's features; each set weighs
    the same (and, with `balance`, each verdict within a set, so that the confidence assumes no set's base rate:
    AVeriTeC's claims are 59% refuted, COVID-Fact's 68%)."""
    x, y, w = [], [], []
    for claims in sets.values():
        counts = Counter(claim.gold for claim in claims)
        for claim in claims:
            read = aggregate(claim.text, claim.evidence, claim.health)
            x.append([read[f] for f in features])
            y.append(claim.gold)
            w.append(1.0 / (len(counts) * counts[claim.gold]) if balance else 1.0 / len(claims))
    weights = np.array(w) * len(w) / sum(w)
    model = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(np.array(x), np.array(y), sample_weight=weights)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # one row, for the second class: as a softmax, the first class's row is 0
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return Calibrator(
        tuple(str(c) for c in model.classes_),
        features,
        tuple(tuple(round(float(v), 5) for v in row) for row in coef),
        tuple(round(float(b), 5) for b in intercept),
        source,
        needs_its_side=needs_its_side,
    )


Fold = tuple[Calibrator, dict[str, list[Claim]]]  # a fit and the halves it did not see


def fold_indices(n: int, seed: int = SPLIT_SEED) -> list[tuple[list[int], list[int]]]:
    """(fitted on, held out) of each fold: the first half then the second, and the other way round."""
    first, second = halves(n, seed)
    return [(first, second), (second, first)]


def two_fold(
    sets: dict[str, list[Claim]],
    balance: bool = False,
    needs_its_side: bool = False,
    seed: int = SPLIT_SEED,
    features: tuple[str, ...] = FEATURES,
) -> list[Fold]:
    """A fit on every set's first half, tested on the second halves, and the other way round (halves by `seed`)."""
    folds = []
    for fold in (0, 1):
        train, test = {}, {}
        for name, claims in sets.items():
            fit_on, held = fold_indices(len(claims), seed)[fold]
            train[name], test[name] = [claims[i] for i in fit_on], [claims[i] for i in held]
        folds.append((fit(train, f"fold {fold}", balance, needs_its_side, features), test))
    return folds


def write_fit(
    sets: dict[str, list[Claim]],
    stance_model: str,
    profile: str,
    default: float | None,
    balance: bool,
    needs_its_side: bool = False,
    features: tuple[str, ...] = FEATURES,
) -> dict[str, str]:
    """Fit these features on all claims and store the fit as `profile` of `stance_model` (with `default` as its
    level)."""
    weighing = ", each set weighing the same" if len(sets) > 1 else ""
    weighing += ", each verdict weighing the same within a set" if balance else ""
    weighing += ", deciding only with a statement on the verdict's side" if needs_its_side else ""
    source = (
        f"{' + '.join(f'{n} dev ({len(c)} claims)' for n, c in sets.items())}{weighing}; "
        f"benchmarks/calibrate.py, {date.today().isoformat()}"
    )
    model = SHIPPED.parent / stance_model
    calibrator = dataclasses.replace(
        fit(sets, source, balance, needs_its_side, features),
        min_confidence=default or 0.0,
        model_sha256=model_digest(model),
        domain_sha256=domain_digest() if "health" in features else "",
    )
    stored = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}
    models = stored.get("models", {})
    models[stance_model] = models.get(stance_model, {}) | {profile: calibrator.to_json()}
    tmp = CALIBRATION_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps({"models": models}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(CALIBRATION_FILE)
    return {"model": stance_model, "profile": profile, "file": str(CALIBRATION_FILE)}
