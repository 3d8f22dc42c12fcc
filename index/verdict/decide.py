"""The verdict and its confidence: the calibrator's probabilities decide it when it reaches `min_confidence`, and
the strengths rule without a fit for the stance model (see the package's description)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from factdesk.index.errors import InvalidInput
from factdesk.index.stance import CONFLICTS, SUPPORTS
from factdesk.index.verdict.calibrator import Calibrator
from factdesk.index.verdict.features import Judged, aggregate, on_topic

SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH = "supported", "refuted", "conflicting", "not_enough_evidence"


VERDICTS = (SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH)


DECIDED = (SUPPORTED, REFUTED, CONFLICTING)


DECIDE = 0.5


STRONG = 0.9


CORROBORATION = 0.05  # per additional publisher, on top of the best statement


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    confidence: float
    supporting_publishers: int
    conflicting_publishers: int
    probabilities: dict[str, float] = field(default_factory=dict)  # of each verdict (see `raw_probabilities`)
    # when not decided: the decided verdict the evidence leans to, the most probable of them (else None)
    leaning: str | None = None


def _strength(evidence: Sequence[Judged], stance: str) -> tuple[float, int]:
    """Best score among the statements with this stance, plus CORROBORATION per further publisher."""
    chosen = [e for e in evidence if e.stance == stance]
    if not chosen:
        return 0.0, 0
    publishers = {e.publisher_key for e in chosen}
    best = max(e.stance_scores[stance] for e in chosen)
    return min(1.0, best + CORROBORATION * (len(publishers) - 1)), len(publishers)


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
    health: float = 0.0,
) -> Verdict:
    """The verdict and its confidence; `min_confidence` is the probability a decided verdict must reach; `health`:
    the claim's domain (index.verdict.domain), which the calibrator reads with the evidence."""
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
    probabilities = calibrator.probabilities(aggregate(claim, evidence, health))
    best = max(DECIDED, key=lambda label: probabilities.get(label, 0.0))
    p = probabilities.get(best, 0.0)
    reaches = p >= max(min_confidence, probabilities.get(NOT_ENOUGH, 0.0))
    decides = reaches and (not calibrator.needs_its_side or backed(best, evidence))
    label, confidence = (best, p) if decides else (NOT_ENOUGH, 1 - p)
    return _verdict(label, confidence, s_pub, c_pub, probabilities)


def backed(verdict: str, evidence: Sequence[Judged]) -> bool:
    """Some statement takes this verdict's side: a supporting one for supported, a conflicting one for refuted,
    one of each for conflicting."""
    stances = {e.stance for e in evidence}
    return {SUPPORTED: {SUPPORTS}, REFUTED: {CONFLICTS}, CONFLICTING: {SUPPORTS, CONFLICTS}}[verdict] <= stances


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
