"""Stance of an evidence statement towards a claim: supports, conflicts or neutral.

One interface, two classifiers. `NliStance` (default when the shipped model is present) combines the
NLI model's probabilities with the typed cues; `CueStance` decides from similarity and cues alone.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from factdesk.index.batching import MicroBatcher
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.segment import reported_content, sentence_spans
from factdesk.index.text.cues import READ_CHARS, Cue, find_cues
from factdesk.index.text.frames import PASSED_ON, Aside, appositions, frame_of
from factdesk.index.text.restate import restatements

SUPPORTS, CONFLICTS, NEUTRAL = "supports", "conflicts", "neutral"
# auto: the shipped model when installed, else cues; nli: that model; fast: the 3-layer model; accurate: the mean
# of that model and the 12-layer one; cues: no model
STANCE_MODES = ("auto", "nli", "fast", "accurate", "cues")
HARD_CUES = frozenset({"number", "date", "entity"})  # a fact that differs
SOFT_CUES = frozenset({"negation", "opposite"})  # polarity that differs

# Thresholds (probabilities of the NLI model; similarity is cosine). Chosen on the COVID-Fact dev set and the
# seed examples, see benchmarks/covidfact.py; never on the NLI held-out slice.
SUPPORT_MIN = 0.5  # entailment probability needed to call a statement supporting
CONFLICT_MIN = 0.5  # contradiction probability needed to call it conflicting
ON_TOPIC = 0.3  # below this similarity a statement is about something else: neutral whatever the model says
# Between ON_TOPIC and LOOSE a statement shares the claim's topic only loosely: the model must be CLEAR_MIN sure.
# A claim can be plainly contradicted by a statement it is barely similar to ("Nobody was injured in Rubavu"
# against the seed's "... injuring about 15 civilians"), while candidates of claims the archive knows nothing of
# get middling probabilities there: a sure reading counts, a middling one does not (docs/benchmarks.md).
LOOSE = 0.45
CLEAR_MIN = 0.9
CUE_SIMILARITY = 0.55  # without a model, a cue on a statement this close to the claim stands for contradiction


OFF_TOPIC = (0.0, 1.0, 0.0)  # entailment, neutral, contradiction of a statement the model is not asked about


@dataclass(slots=True)
class Stance:
    label: str
    scores: dict[str, float]
    cues: list[Cue]
    probs: tuple[float, float, float] = OFF_TOPIC  # the model's entailment, neutral, contradiction
    reading: str | None = None  # the claim restated in the statement's words, when that reading decided `probs`

    @property
    def related(self) -> float:
        """1 − P(neutral): how much the statement bears on the claim at all, whatever its label."""
        return round(1.0 - self.probs[1], 4)


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
    stance.probs = (round(e, 4), round(n, 4), round(c, 4))
    return stance


def _combine(e: float, n: float, c: float, similarity: float, cues: list[Cue]) -> Stance:
    """The model decides; cues travel with the stance as its reasons (and are features of the verdict's
    calibrator) but never make a conflict on their own: on real claims a statement on the claim's topic often has
    another figure, date or name without contradicting it."""
    if similarity < ON_TOPIC or (similarity < LOOSE and max(e, c) < CLEAR_MIN):
        return Stance(NEUTRAL, _scores(e * 0.25, c * 0.25, n + 0.75 * (e + c)), cues)
    scores = _scores(e, c, n)
    if e >= SUPPORT_MIN and e > c:
        return Stance(SUPPORTS, scores, cues)
    if c >= CONFLICT_MIN and c > e:
        return Stance(CONFLICTS, scores, cues)
    return Stance(NEUTRAL, scores, cues)


def with_restatement(probs: Sequence[float], restated: Sequence[float], opposite: bool) -> tuple[float, ...]:
    """The model's reading of a statement, given also its reading of the claim restated in the statement's words
    (`restate.restatements`): a statement that entails the restated claim entails the claim, or, when the restatement
    has the opposite verb, contradicts it. The other two probabilities keep their ratio."""
    e, n, c = (float(p) for p in probs)
    r = float(restated[0])
    if opposite and r > c:
        k = (1 - r) / (e + n) if e + n else 0.0
        return e * k, n * k, r
    if not opposite and r > e:
        k = (1 - r) / (n + c) if n + c else 0.0
        return r, n * k, c * k
    return e, n, c


def with_aside(probs: Sequence[float], aside: Sequence[float]) -> tuple[float, ...]:
    """The model's reading of a statement, given also its reading of what the statement says in passing of the
    claim's subject (`frames.appositions`): the aside's where the model is CLEAR_MIN sure of it either way and
    surer than of the whole, which it reads on its main clause; a less sure aside, read out of its sentence, is
    no better a reading than the whole."""
    decided = max(aside[0], aside[2])
    surer = decided >= CLEAR_MIN and decided > max(probs[0], probs[2])
    return tuple(float(p) for p in (aside if surer else probs))


def read_pairs(
    predict: Callable[[list[tuple[str, str]]], np.ndarray],
    pairs: Sequence[tuple[str, str]],
    statements: Sequence[str] | None = None,
    denied: Sequence[str | None] | None = None,
) -> tuple[list[tuple[float, ...]], list[str | None], list[Aside | None]]:
    """The model's probabilities for (statement, claim) pairs, each read also through the claim restated in the
    statement's words (`restate.restatements`, `with_restatement`) and against what the statement says in passing
    of the claim's subject (`frames.appositions`, `with_aside`), in one call of `predict`; and for each pair the
    restatement that decided its reading, if one did, and the aside whose reading it took, if it took one.
    `statements`: the texts to restate the claim against where they differ from the premises the model reads.
    `denied`: for each pair, what its statement denies, if it is a denial (`frames.framed`): a claim that entails
    what is denied is contradicted."""
    against = statements if statements is not None else [premise for premise, _ in pairs]
    restated = [
        (k, text, opposite)
        for k, ((_, claim), statement) in enumerate(zip(pairs, against, strict=True))
        for text, opposite in restatements(claim, statement)
    ]
    asides = [
        (k, aside)
        for k, ((_, claim), statement) in enumerate(zip(pairs, against, strict=True))
        for aside in appositions(claim, statement)
    ]
    denials = [(k, content) for k, content in enumerate(denied or []) if content]
    asked = [
        *pairs,
        *((pairs[k][0], text) for k, text, _ in restated),
        *((aside.text, pairs[k][1]) for k, aside in asides),
        *((pairs[k][1], content) for k, content in denials),
    ]
    scored = predict(asked) if asked else []
    probs = [tuple(float(p) for p in row) for row in scored[: len(pairs)]]
    readings: list[str | None] = [None] * len(pairs)
    start = len(pairs)
    for (k, text, opposite), restated_probs in zip(restated, scored[start : start + len(restated)], strict=True):
        read = with_restatement(probs[k], restated_probs, opposite)
        if read != probs[k]:
            probs[k], readings[k] = read, text
    start += len(restated)
    taken: list[Aside | None] = [None] * len(pairs)
    for (k, aside), aside_probs in zip(asides, scored[start : start + len(asides)], strict=True):
        read = with_aside(probs[k], aside_probs)
        if read != probs[k]:
            probs[k], taken[k] = read, aside
    start += len(asides)
    for (k, _), implied in zip(denials, scored[start:], strict=True):
        probs[k] = with_restatement(probs[k], implied, opposite=True)
    return probs, readings, taken


def read_statements(
    predict: Callable[[list[tuple[str, str]]], np.ndarray], pairs: Sequence[tuple[str, str]]
) -> tuple[list[tuple[float, ...]], list[str | None], list[list[Cue]]]:
    """The stance reader's probabilities for (statement, claim) pairs, the restatement that decided each, if one
    did (`read_pairs`), and the reasons of its reading that are no cue of the words: the frame it was read through,
    the aside whose reading it took. Reported speech is judged on what it reports:
    its speaker is the statement's `speaker`, not a doubt. A denial is read also through whether the claim entails
    what it denies; a claim passed on from a post or a rumour is no evidence either way, and the model is not asked
    about it (`frames.frame_of`)."""
    # a frame bears on its own sentence: a text of several (a held-out body of news) asserts the others
    frames = [
        frame if (frame := frame_of(claim, statement)) and len(sentence_spans(statement)) == 1 else None
        for statement, claim in pairs
    ]
    asked = [k for k, frame in enumerate(frames) if frame is None or frame.kind != PASSED_ON]
    read, readings, asides = read_pairs(
        predict,
        [((reported_content(pairs[k][0]) or pairs[k][0])[:READ_CHARS], pairs[k][1]) for k in asked],
        [pairs[k][0] for k in asked],
        [frame.content if (frame := frames[k]) else None for k in asked],
    )
    probs: list[tuple[float, ...]] = [OFF_TOPIC] * len(pairs)
    decided: list[str | None] = [None] * len(pairs)
    reasons = [[frame.cue(statement)] if frame else [] for frame, (statement, _) in zip(frames, pairs, strict=True)]
    for k, p, reading, aside in zip(asked, read, readings, asides, strict=True):
        probs[k], decided[k] = p, reading
        if aside:
            reasons[k].append(aside.cue(pairs[k][0]))
    return probs, decided, reasons


class NliStance:
    mode = "nli"

    def __init__(self, directory: Path | None = None, threads: int | None = None) -> None:
        from factdesk.index.stance.model import DEFAULT, load_model

        self.model = load_model(directory or DEFAULT, threads=threads)
        self.name = self.model.name
        # pairs from concurrent checks go through the model together
        self._predict: MicroBatcher[tuple[str, str], np.ndarray] = MicroBatcher(self.model.predict)

    def classify(self, claim: str, statements: Sequence[str], similarities: Sequence[float]) -> list[Stance]:
        """The model scores only statements at least ON_TOPIC similar to the claim: below, the label is neutral
        whatever it says, so they get P(neutral) = 1 and no model time (0.7% of COVID-Fact's candidates; most
        candidates of a claim the archive knows nothing of)."""
        on_topic = [i for i, sim in enumerate(similarities) if sim >= ON_TOPIC]
        read, readings, reasons = read_statements(self._predict, [(statements[i], claim) for i in on_topic])
        probs = dict(zip(on_topic, read, strict=True))
        stances = [
            combine(probs.get(i, OFF_TOPIC), sim, find_cues(claim, s))
            for i, (s, sim) in enumerate(zip(statements, similarities, strict=True))
        ]
        for i, reading, more in zip(on_topic, readings, reasons, strict=True):
            stances[i].reading = reading
            stances[i].cues.extend(more)
        return stances


class CueStance:
    """Without a model: similarity stands in for entailment and a cue on a close statement for contradiction (the
    only conflict signal there is; with a model, cues are reasons and calibrator features, never the decision)."""

    mode = "cues"
    name = "cues-only"

    def classify(self, claim: str, statements: Sequence[str], similarities: Sequence[float]) -> list[Stance]:
        results = []
        for statement, sim in zip(statements, similarities, strict=True):
            cues = find_cues(claim, statement)
            e = float(np.clip((sim - 0.55) / 0.3, 0.0, 1.0))
            probs = (e, 1.0 - e, 0.0)
            if cues and sim >= CUE_SIMILARITY:
                probs = (0.1 * e, 0.4 - 0.1 * e, 0.6)
            results.append(combine(probs, sim, cues))
        return results


def _model_directory(mode: str) -> Path | None:
    """The model directory `mode` loads, None for cues alone."""
    from factdesk.index.stance.model import ACCURATE, DEFAULT, FAST, shipped_model_available

    if mode not in STANCE_MODES:
        raise InvalidInput(f"unknown stance mode {mode!r} ({', '.join(STANCE_MODES)})")
    if mode == "cues" or (mode == "auto" and not shipped_model_available()):
        return None
    return {"fast": FAST, "accurate": ACCURATE}.get(mode, DEFAULT)


def stance_name(mode: str) -> str:
    """The name of the classifier `load_stance(mode)` gives, without loading a model."""
    directory = _model_directory(mode)
    return directory.name if directory else CueStance.name


def load_stance(mode: str = "auto", threads: int | None = None) -> StanceClassifier:
    """`auto`: the shipped NLI model when it is installed, else cues alone. `nli` and `fast` require a model."""
    directory = _model_directory(mode)
    return NliStance(directory, threads=threads) if directory else CueStance()


def classify_stance(
    classifier: StanceClassifier, claim: str, statements: Sequence[str], similarities: Sequence[float]
) -> list[Stance]:
    return classifier.classify(claim, statements, similarities)
