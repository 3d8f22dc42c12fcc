"""The features the verdict's calibrator reads, summed up from a claim's judged evidence."""

import math
from collections.abc import Sequence
from typing import Protocol

from factdesk.index.stance import CLEAR_MIN, CONFLICTS, HARD_CUES, LOOSE, NEUTRAL, SOFT_CUES, SUPPORTS
from factdesk.index.text.cues import Cue
from factdesk.index.text.overlap import missing_share, with_referent

EVIDENCE_FEATURES = (
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
    # (names of the sentence before it count where its subject refers back: "The group ...")
    "restated",  # best entailment of a statement that has every content word of the claim
)
# the claim's domain (index.verdict.domain: P(health or medical claim)), and each evidence feature times it: what
# the evidence is worth for a claim of that kind
FEATURES = (*EVIDENCE_FEATURES, "health", *(f"health_{name}" for name in EVIDENCE_FEATURES))


class Judged(Protocol):
    stance: str
    stance_scores: dict[str, float]
    similarity: float
    cues: list[Cue]
    reading: str | None  # the claim restated in the statement's words, when the model read that

    @property
    def context(self) -> str | None: ...  # the sentence before the statement in its article

    @property
    def text(self) -> str: ...

    @property
    def publisher_key(self) -> str: ...


def _closest(evidence: Sequence[Judged], kinds: frozenset[str]) -> tuple[float, float]:
    """(similarity, entailment) of the closest statement with a cue of these kinds; (0, 0) when none has one."""
    with_cue = [e for e in evidence if any(c.kind in kinds for c in e.cues) and e.stance_scores.get(NEUTRAL, 1) < 1]
    if not with_cue:
        return 0.0, 0.0
    return max(e.similarity for e in with_cue), max(e.stance_scores[SUPPORTS] for e in with_cue)


def aggregate(claim: str, evidence: Sequence[Judged], health: float = 0.0) -> dict[str, float]:
    """The features the calibrator reads (FEATURES), from a claim's judged evidence and its domain (`health`)."""
    read = _evidence_features(claim, evidence)
    return read | {"health": health} | {f"health_{name}": health * value for name, value in read.items()}


def _evidence_features(claim: str, evidence: Sequence[Judged]) -> dict[str, float]:
    if not evidence:
        return dict.fromkeys(EVIDENCE_FEATURES, 0.0) | {"support_missing": 1.0}
    top = max(evidence, key=lambda e: e.similarity)
    missing = [missing_share(e.reading or claim, with_referent(e.text, e.context)) for e in evidence]
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
