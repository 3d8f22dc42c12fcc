"""Overall verdict over a claim's evidence: supported, refuted, conflicting or not_enough_evidence.

Support strength S is the best `supports` score among supporting statements, raised a little for every
further independent publisher that supports (corroboration); conflict strength C likewise. Then:
  S ≥ STRONG and C ≥ STRONG            → conflicting (confidence min(S, C))
  S ≥ DECIDE and S ≥ C                 → supported   (confidence S·(1 − C/2))
  C ≥ DECIDE and C > S                 → refuted     (confidence C·(1 − S/2))
  otherwise                            → not_enough_evidence (confidence 1 − max(S, C))
The confidence of a decided verdict is then mapped through CALIBRATION (Platt scaling).
DECIDE and STRONG were chosen on the COVID-Fact dev set (benchmarks/covidfact.py --tune).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH = "supported", "refuted", "conflicting", "not_enough_evidence"
VERDICTS = (SUPPORTED, REFUTED, CONFLICTING, NOT_ENOUGH)
DECIDE = 0.5
STRONG = 0.8
# Platt scaling of the confidence of decided verdicts, sigmoid(a · raw + b), fitted on COVID-Fact; None = raw
CALIBRATION: tuple[float, float] | None = None
CORROBORATION = 0.05  # per additional publisher, on top of the best statement


class Judged(Protocol):
    stance: str
    stance_scores: dict[str, float]
    publisher_key: str


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    confidence: float
    supporting_publishers: int
    conflicting_publishers: int


def _strength(evidence: Sequence[Judged], stance: str) -> tuple[float, int]:
    chosen = [e for e in evidence if e.stance == stance]
    if not chosen:
        return 0.0, 0
    publishers = {e.publisher_key for e in chosen}
    best = max(e.stance_scores[stance] for e in chosen)
    return min(1.0, best + CORROBORATION * (len(publishers) - 1)), len(publishers)


def decide_verdict(
    evidence: Sequence[Judged],
    decide: float = DECIDE,
    strong: float = STRONG,
    calibration: tuple[float, float] | None = CALIBRATION,
) -> Verdict:
    s, s_pub = _strength(evidence, "supports")
    c, c_pub = _strength(evidence, "conflicts")
    if s >= strong and c >= strong:
        label, confidence = CONFLICTING, min(s, c)
    elif s >= decide and s >= c:
        label, confidence = SUPPORTED, s * (1 - c / 2)
    elif c >= decide and c > s:
        label, confidence = REFUTED, c * (1 - s / 2)
    else:
        label, confidence = NOT_ENOUGH, 1 - max(s, c)
    if calibration and label != NOT_ENOUGH:
        a, b = calibration
        confidence = 1 / (1 + math.exp(-(a * confidence + b)))
    return Verdict(label, round(confidence, 4), s_pub, c_pub)
