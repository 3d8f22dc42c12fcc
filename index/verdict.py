"""Overall verdict over a claim's evidence: supported, refuted, conflicting or not_enough_evidence.

Two steps. `aggregate` sums the judged evidence up as a few features: the best entailment and contradiction
the stance model gives an on-topic statement, the scores of the most similar statement, the best similarity,
how many publishers support or conflict, and how close the statements are that carry a cue (a number, date or
name that differs; a negation or an opposite word). A `Calibrator` (multinomial logistic regression over those
features, fitted on the dev sets by `benchmarks/calibrate.py`, shipped in `calibration.json` with the data and
command it came from) turns them into the probability of each verdict, so the confidence of a decided verdict
is how often such a verdict was right. A verdict is decided only when that probability reaches
`min_confidence`; below it the answer is not_enough_evidence, with confidence 1 − that probability (how
often deciding would have been wrong), and the probabilities still go back to the caller.

Each stance model has a fit per calibration profile (CALIBRATIONS): `general` on both dev sets, each weighing the
same (the default), and `news` on AVeriTeC's real claims alone, for a desk whose claims are news. The two kinds of
claims need different weights: COVID-Fact's refuted claims are one-word swaps that the model entails, so in the
pooled fit entailment counts for `refuted` almost as much as for `supported`, which real news claims do not bear
out. Each profile's level is chosen on the claims it was fitted on.

A claim with no statement on its topic (none at least LOOSE similar, none the model is sure of) is
not_enough_evidence whatever the calibrator says: every dev claim has evidence in its archive, so the fit
never saw such a claim, and its base rates (most claims that fact-checkers pick are false) must not decide one.

Without a fit for the stance model in use (`--stance cues`, or a model trained since) the verdict falls back to
the strengths rule: support strength S is the best `supports` score among supporting statements plus
CORROBORATION for every further publisher, conflict strength C likewise; both ≥ STRONG → conflicting, else
the larger, if ≥ DECIDE, decides; its confidence is then a raw score, not a probability.
"""

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from index.errors import InvalidInput
from index.stance import CLEAR_MIN, CONFLICTS, HARD_CUES, LOOSE, NEUTRAL, SOFT_CUES, SUPPORTS
from index.text.cues import Cue
from index.text.overlap import missing_share

SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH = "supported", "refuted", "conflicting", "not_enough_evidence"
VERDICTS = (SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH)
DECIDED = (SUPPORTED, REFUTED, CONFLICTING)
DECIDE = 0.5
STRONG = 0.9
CORROBORATION = 0.05  # per additional publisher, on top of the best statement
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
CALIBRATIONS = ("general", "news")  # the fits a stance model ships with; the first is the default
FEATURES = (
    "entail",  # best entailment of an on-topic statement
    "contradict",  # best contradiction of an on-topic statement
    "top_entail",  # entailment of the most similar statement
    "top_contradict",  # contradiction of the most similar statement
    "similarity",  # best similarity
    "support_publishers",  # log(1 + publishers whose statements support)
    "conflict_publishers",
    "hard_cue",  # similarity of the closest statement with a number, date or name cue (0 if none)
    "hard_cue_entail",  # entailment of a statement the model reads as agreeing although a number, date or name differs
    "soft_cue",  # similarity of the closest statement with a negation or opposite-word cue
    "soft_cue_entail",
    "support_missing",  # share of the claim's content words missing from the statement with the best entailment
    "restated",  # best entailment of a statement that has every content word of the claim
)


class Judged(Protocol):
    stance: str
    stance_scores: dict[str, float]
    similarity: float
    cues: list[Cue]
    reading: str | None  # the claim restated in the statement's words, when the model read that

    @property
    def text(self) -> str: ...

    @property
    def publisher_key(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    confidence: float
    supporting_publishers: int
    conflicting_publishers: int
    probabilities: dict[str, float] = field(default_factory=dict)  # of each verdict (see `raw_probabilities`)
    # when not decided: the decided verdict the evidence leans to, the most probable of them (else None)
    leaning: str | None = None


@dataclass(frozen=True, slots=True)
class Calibrator:
    """P(verdict | features) = softmax(intercept + coef · features), one row per verdict."""

    classes: tuple[str, ...]
    features: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    fitted_on: str = ""
    min_confidence: float = 0.0  # the default level, chosen with the fit (decided verdicts right ≥ 80% there)
    model_sha256: str = ""  # of the stance model whose scores it was fitted on

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        x = [features[name] for name in self.features]
        logits = [
            b + sum(w * v for w, v in zip(row, x, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return {label: exp[i] / total for i, label in enumerate(self.classes)}

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "features": list(self.features),
            "coef": [list(row) for row in self.coef],
            "intercept": list(self.intercept),
            "fitted_on": self.fitted_on,
            "min_confidence": self.min_confidence,
            "model_sha256": self.model_sha256,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Calibrator":
        return cls(
            tuple(data["classes"]),
            tuple(data["features"]),
            tuple(tuple(float(w) for w in row) for row in data["coef"]),
            tuple(float(b) for b in data["intercept"]),
            str(data.get("fitted_on", "")),
            float(data.get("min_confidence") or 0.0),
            str(data.get("model_sha256", "")),
        )


@cache
def _fits(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """stance model → calibration profile → fit."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["models"]


def model_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_calibrator(
    stance_model: str, calibration: str = CALIBRATIONS[0], path: Path = CALIBRATION_FILE
) -> Calibrator | None:
    """The shipped fit of this profile for this stance model (by its name), or None when the model has no fit at
    all (`--stance cues`); ValueError for a profile it lacks. A test holds each fit to the model file it was made
    with (`model_sha256`): a retrained model is calibrated again before it ships."""
    calibration = parse_calibration(calibration)
    fits = _fits(path).get(stance_model)
    if not fits:
        return None
    if calibration not in fits:
        raise InvalidInput(f"stance model {stance_model} has no {calibration!r} calibration")
    return Calibrator.from_json(fits[calibration])


def _strength(evidence: Sequence[Judged], stance: str) -> tuple[float, int]:
    """Best score among the statements with this stance, plus CORROBORATION per further publisher."""
    chosen = [e for e in evidence if e.stance == stance]
    if not chosen:
        return 0.0, 0
    publishers = {e.publisher_key for e in chosen}
    best = max(e.stance_scores[stance] for e in chosen)
    return min(1.0, best + CORROBORATION * (len(publishers) - 1)), len(publishers)


def _closest(evidence: Sequence[Judged], kinds: frozenset[str]) -> tuple[float, float]:
    """(similarity, entailment) of the closest statement with a cue of these kinds; (0, 0) when none has one."""
    with_cue = [e for e in evidence if any(c.kind in kinds for c in e.cues) and e.stance_scores.get(NEUTRAL, 1) < 1]
    if not with_cue:
        return 0.0, 0.0
    return max(e.similarity for e in with_cue), max(e.stance_scores[SUPPORTS] for e in with_cue)


def aggregate(claim: str, evidence: Sequence[Judged]) -> dict[str, float]:
    """The features the calibrator reads (FEATURES), from a claim's judged evidence."""
    if not evidence:
        return dict.fromkeys(FEATURES, 0.0) | {"support_missing": 1.0}
    top = max(evidence, key=lambda e: e.similarity)
    missing = [missing_share(e.reading or claim, e.text) for e in evidence]
    supporting = max(range(len(evidence)), key=lambda i: evidence[i].stance_scores[SUPPORTS])
    hard_sim, hard_entail = _closest(evidence, HARD_CUES)
    soft_sim, soft_entail = _closest(evidence, SOFT_CUES)
    return {
        "entail": max(e.stance_scores[SUPPORTS] for e in evidence),
        "contradict": max(e.stance_scores[CONFLICTS] for e in evidence),
        "top_entail": top.stance_scores[SUPPORTS],
        "top_contradict": top.stance_scores[CONFLICTS],
        "similarity": top.similarity,
        "support_publishers": math.log1p(len({e.publisher_key for e in evidence if e.stance == SUPPORTS})),
        "conflict_publishers": math.log1p(len({e.publisher_key for e in evidence if e.stance == CONFLICTS})),
        "hard_cue": hard_sim,
        "hard_cue_entail": hard_entail,
        "soft_cue": soft_sim,
        "soft_cue_entail": soft_entail,
        "support_missing": missing[supporting],
        "restated": max(
            (e.stance_scores[SUPPORTS] for e, m in zip(evidence, missing, strict=True) if m == 0), default=0.0
        ),
    }


def on_topic(evidence: Sequence[Judged]) -> bool:
    """Some statement is about the claim: LOOSE similar, or one the model is CLEAR_MIN sure of either way."""
    return any(
        e.similarity >= LOOSE or max(e.stance_scores[SUPPORTS], e.stance_scores[CONFLICTS]) >= CLEAR_MIN
        for e in evidence
    )


def _by_strength(evidence: Sequence[Judged], s: float, c: float, decide: float, strong: float) -> tuple[str, float]:
    """The rule without a calibrator, from the support and conflict strengths S and C."""
    if s >= strong and c >= strong:
        return CONFLICTING, min(s, c)
    if s >= decide and s >= c:
        return SUPPORTED, s * (1 - c / 2)
    if c >= decide and c > s:
        return REFUTED, c * (1 - s / 2)
    # a statement the model nearly calls supporting (or conflicting) is a reason to doubt "not enough"
    nearest = max((max(e.stance_scores[SUPPORTS], e.stance_scores[CONFLICTS]) for e in evidence), default=0.0)
    return NOT_ENOUGH, 1 - max(s, c, nearest)


def decide_verdict(
    claim: str,
    evidence: Sequence[Judged],
    calibrator: Calibrator | None = None,
    min_confidence: float = 0.0,
    decide: float = DECIDE,
    strong: float = STRONG,
) -> Verdict:
    """The verdict and its confidence; `min_confidence` is the probability a decided verdict must reach."""
    s, s_pub = _strength(evidence, SUPPORTS)
    c, c_pub = _strength(evidence, CONFLICTS)
    if calibrator is None:
        label, confidence = _by_strength(evidence, s, c, decide, strong)
        if label != NOT_ENOUGH and confidence < min_confidence:
            label, confidence = NOT_ENOUGH, 1 - confidence
        return _verdict(label, confidence, s_pub, c_pub, raw_probabilities(s, c))
    if not on_topic(evidence):
        _, confidence = _by_strength(evidence, s, c, decide, strong)
        return _verdict(NOT_ENOUGH, confidence, s_pub, c_pub, raw_probabilities(s, c))
    probabilities = calibrator.probabilities(aggregate(claim, evidence))
    best = max(DECIDED, key=lambda label: probabilities.get(label, 0.0))
    p = probabilities.get(best, 0.0)
    label, confidence = (
        (best, p) if p >= max(min_confidence, probabilities.get(NOT_ENOUGH, 0.0)) else (NOT_ENOUGH, 1 - p)
    )
    return _verdict(label, confidence, s_pub, c_pub, probabilities)


def raw_probabilities(s: float, c: float) -> dict[str, float]:
    """Without a calibrated fit (no fit for the stance model, or nothing on topic): the support and conflict
    strengths, each capped at 1, read as two independent chances. Not calibrated: a reading of the evidence."""
    s, c = min(1.0, s), min(1.0, c)
    return {SUPPORTED: s * (1 - c), REFUTED: c * (1 - s), CONFLICTING: s * c, NOT_ENOUGH: (1 - s) * (1 - c)}


def _verdict(label: str, confidence: float, s_pub: int, c_pub: int, probabilities: Mapping[str, float]) -> Verdict:
    rounded = {v: round(probabilities.get(v, 0.0), 4) for v in VERDICTS}
    leaning = None
    if label == NOT_ENOUGH and any(rounded[v] for v in DECIDED):
        leaning = max(DECIDED, key=lambda v: rounded[v])
    return Verdict(label, round(confidence, 4), s_pub, c_pub, rounded, leaning)


def parse_min_confidence(text: str | None) -> float | None:
    """A level from 0 to 1 (FACTDESK_MIN_CONFIDENCE, --min-confidence); None or empty: the calibration's."""
    if text is None or not text.strip():
        return None
    try:
        level = float(text)
    except ValueError:
        level = math.nan
    if not 0.0 <= level <= 1.0:
        raise InvalidInput(f"min_confidence must be a number from 0 to 1, not {text!r}")
    return level


def parse_calibration(text: str | None) -> str:
    """A calibration profile's name (FACTDESK_CALIBRATION, --calibration); None or empty: the default."""
    if text is None or not text.strip():
        return CALIBRATIONS[0]
    if text not in CALIBRATIONS:
        raise InvalidInput(f"unknown calibration {text!r} ({', '.join(CALIBRATIONS)})")
    return text
