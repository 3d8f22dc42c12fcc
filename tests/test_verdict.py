"""Verdict rules over judged evidence (index/verdict.py)."""

from dataclasses import dataclass

import pytest

from index.verdict import CORROBORATION, DECIDE, STRONG, decide_verdict


@dataclass
class Judged:
    stance: str
    supports: float = 0.0
    conflicts: float = 0.0
    publisher_key: str = "a"

    @property
    def stance_scores(self) -> dict[str, float]:
        return {"supports": self.supports, "conflicts": self.conflicts, "neutral": 1 - self.supports - self.conflicts}


def test_one_supporting_statement_decides_with_its_score() -> None:
    v = decide_verdict([Judged("supports", supports=0.8), Judged("neutral", supports=0.1)])
    assert (v.label, v.confidence, v.supporting_publishers, v.conflicting_publishers) == ("supported", 0.8, 1, 0)


def test_a_conflict_outweighs_weaker_support() -> None:
    v = decide_verdict([Judged("supports", supports=0.6), Judged("conflicts", conflicts=0.85, publisher_key="b")])
    assert v.label == "refuted"
    assert v.confidence == pytest.approx(0.85 * (1 - 0.6 / 2), abs=1e-4)
    assert (v.supporting_publishers, v.conflicting_publishers) == (1, 1)


def test_strong_evidence_both_ways_is_conflicting() -> None:
    both = [Judged("supports", supports=STRONG + 0.02), Judged("conflicts", conflicts=STRONG + 0.05)]
    assert decide_verdict(both).label == "conflicting"
    just_below = [Judged("supports", supports=STRONG - 0.05), Judged("conflicts", conflicts=STRONG + 0.05)]
    assert decide_verdict(just_below).label == "refuted"


def test_independent_publishers_corroborate() -> None:
    one = decide_verdict([Judged("supports", supports=0.6), Judged("supports", supports=0.55)])
    two = decide_verdict([Judged("supports", supports=0.6), Judged("supports", supports=0.55, publisher_key="b")])
    assert one.supporting_publishers == 1 and two.supporting_publishers == 2
    assert two.confidence == pytest.approx(one.confidence + CORROBORATION)


def test_not_enough_evidence_is_less_sure_when_a_statement_nearly_decides() -> None:
    assert decide_verdict([]).confidence == 1.0
    far = decide_verdict([Judged("neutral", supports=0.05)])
    near = decide_verdict([Judged("neutral", supports=0.1), Judged("neutral", conflicts=0.45)])
    weak = decide_verdict([Judged("supports", supports=DECIDE - 0.1)])
    assert far.label == near.label == weak.label == "not_enough_evidence"
    assert (far.confidence, near.confidence, weak.confidence) == (0.95, 0.55, pytest.approx(1 - (DECIDE - 0.1)))


def test_calibration_maps_decided_confidence_only() -> None:
    evidence = [Judged("supports", supports=0.9)]
    assert decide_verdict(evidence, calibration=(0.0, 0.0)).confidence == 0.5
    assert decide_verdict([], calibration=(0.0, 0.0)).confidence == 1.0
