"""Stance of an evidence statement towards a claim: supports, conflicts or neutral.

One interface, two classifiers. `NliStance` (default when the shipped model is present) combines the
NLI model's probabilities with the typed cues; `CueStance` decides from similarity and cues alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.batching import MicroBatcher
from index.cues import Cue, find_cues

SUPPORTS, CONFLICTS, NEUTRAL = "supports", "conflicts", "neutral"
# auto: the shipped model when installed, else cues; nli: that model; fast: the 3-layer model; cues: no model
STANCE_MODES = ("auto", "nli", "fast", "cues")
HARD_CUES = frozenset({"number", "date", "entity"})
SOFT_CUES = frozenset({"negation", "opposite"})  # polarity: a conflict when the model leans that way at all

# Thresholds (probabilities of the NLI model; similarity is cosine). Chosen on the COVID-Fact dev set and the
# seed examples, see benchmarks/covidfact.py; never on the NLI held-out slice.
SUPPORT_MIN = 0.5  # entailment probability needed to call a statement supporting
CONFLICT_MIN = 0.5  # contradiction probability needed to call it conflicting
ON_TOPIC = 0.3  # below this similarity a statement is about something else: neutral whatever the model says
# Between ON_TOPIC and LOOSE a statement shares the claim's topic only loosely: the model must be CLEAR_MIN sure.
# "Nobody was injured in Rubavu" is 0.35 similar to the seed's "... injuring about 15 civilians" (contradiction
# 0.98), while off-topic candidates of claims the archive knows nothing of get 0.5-0.6 there. COVID-Fact, 1,500
# claims: macro-F1 0.474 with one cut at 0.45 (the rule before), 0.477 with this one, 0.479 with one cut at 0.3.
LOOSE = 0.45
CLEAR_MIN = 0.9
CUE_CONFLICT_SIMILARITY = 0.55  # a hard cue (number/date/entity) makes a statement this close a conflict
NEGATION_ASSIST = 0.2  # a SOFT_CUES mismatch turns a statement into a conflict when contradiction ≥ this


OFF_TOPIC = (0.0, 1.0, 0.0)  # entailment, neutral, contradiction of a statement the model is not asked about


@dataclass(slots=True)
class Stance:
    label: str
    scores: dict[str, float]
    cues: list[Cue]
    related: float = 0.0  # 1 − P(neutral) before cues: how much the statement bears on the claim at all


class StanceClassifier(Protocol):
    name: str
    mode: str

    def classify(self, claim: str, statements: Sequence[str], similarities: Sequence[float]) -> list[Stance]: ...


def _scores(supports: float, conflicts: float, neutral: float) -> dict[str, float]:
    total = supports + conflicts + neutral or 1.0
    return {
        SUPPORTS: round(supports / total, 4),
        CONFLICTS: round(conflicts / total, 4),
        NEUTRAL: round(neutral / total, 4),
    }


def combine(probs: Sequence[float], similarity: float, cues: list[Cue]) -> Stance:
    """Entailment/neutral/contradiction probabilities + cues → stance (the rule the model and cues share)."""
    e, n, c = (float(p) for p in probs)
    stance = _combine(e, n, c, similarity, cues)
    stance.related = round(1.0 - n, 4)
    return stance


def _combine(e: float, n: float, c: float, similarity: float, cues: list[Cue]) -> Stance:
    kinds = {cue.kind for cue in cues}
    if similarity < ON_TOPIC or (similarity < LOOSE and max(e, c) < CLEAR_MIN):
        return Stance(NEUTRAL, _scores(e * 0.25, c * 0.25, n + 0.75 * (e + c)), cues)
    if kinds & HARD_CUES and (similarity >= CUE_CONFLICT_SIMILARITY or c >= CONFLICT_MIN):
        # "about 15" vs "50": entailment is impossible, whatever the model's hesitation
        conflict = max(c + 0.9 * e, 0.6)
        return Stance(CONFLICTS, _scores(0.1 * e, conflict, n * (1 - conflict)), cues)
    if kinds & SOFT_CUES and (c >= NEGATION_ASSIST or e >= SUPPORT_MIN):
        conflict = max(c + 0.8 * e, 0.55)
        return Stance(CONFLICTS, _scores(0.2 * e, conflict, n * (1 - conflict)), cues)
    scores = _scores(e, c, n)
    if e >= SUPPORT_MIN and e > c:
        return Stance(SUPPORTS, scores, cues)
    if c >= CONFLICT_MIN and c > e:
        return Stance(CONFLICTS, scores, cues)
    return Stance(NEUTRAL, scores, cues)


class NliStance:
    mode = "nli"

    def __init__(self, directory: Path | None = None, threads: int | None = None) -> None:
        from index.stance.model import SHIPPED, StanceModel

        self.model = StanceModel(directory or SHIPPED, threads=threads)
        self.name = self.model.name
        # pairs from concurrent checks go through the model together
        self._predict: MicroBatcher[tuple[str, str], np.ndarray] = MicroBatcher(self.model.predict)

    def classify(self, claim: str, statements: Sequence[str], similarities: Sequence[float]) -> list[Stance]:
        """The model scores only statements at least ON_TOPIC similar to the claim: below, the label is neutral
        whatever it says, so they get P(neutral) = 1 and no model time (0.7% of COVID-Fact's candidates; most
        candidates of a claim the archive knows nothing of)."""
        on_topic = [i for i, sim in enumerate(similarities) if sim >= ON_TOPIC]
        scored = self._predict([(statements[i], claim) for i in on_topic]) if on_topic else []
        probs = dict(zip(on_topic, scored, strict=True))
        return [
            combine(probs.get(i, OFF_TOPIC), sim, find_cues(claim, s))
            for i, (s, sim) in enumerate(zip(statements, similarities, strict=True))
        ]


class CueStance:
    """Without a model: similarity stands in for entailment, cues for contradiction."""

    mode = "cues"
    name = "cues-only"

    def classify(self, claim: str, statements: Sequence[str], similarities: Sequence[float]) -> list[Stance]:
        results = []
        for statement, sim in zip(statements, similarities, strict=True):
            e = float(np.clip((sim - 0.55) / 0.3, 0.0, 1.0))
            results.append(combine((e, 1.0 - e, 0.0), sim, find_cues(claim, statement)))
        return results


def load_stance(mode: str = "auto", threads: int | None = None) -> StanceClassifier:
    """`auto`: the shipped NLI model when it is installed, else cues alone. `nli` and `fast` require a model."""
    from index.stance.model import FAST, SHIPPED, shipped_model_available

    if mode not in STANCE_MODES:
        raise ValueError(f"unknown stance mode {mode!r} ({', '.join(STANCE_MODES)})")
    if mode == "cues" or (mode == "auto" and not shipped_model_available()):
        return CueStance()
    return NliStance(FAST if mode == "fast" else SHIPPED, threads=threads)


def classify_stance(
    classifier: StanceClassifier, claim: str, statements: Sequence[str], similarities: Sequence[float]
) -> list[Stance]:
    return classifier.classify(claim, statements, similarities)
