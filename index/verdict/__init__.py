"""Overall verdict over a claim's evidence: supported, refuted, conflicting or not_enough_evidence.

Two steps. `aggregate` sums the judged evidence up as a few features: the best entailment and contradiction
the stance model gives an on-topic statement, the scores of the most similar statement, the best similarity,
how many publishers support or conflict, and how close the statements are that carry a cue (a number, date or
name that differs; a negation or an opposite word). A `Calibrator` (multinomial logistic regression over those
features, fitted on the dev sets by `training/calibrate.py`, shipped in `calibration.json` with the data and
command it came from) turns them into the probability of each verdict, so the confidence of a decided verdict
is how often such a verdict was right. A verdict is decided only when that probability reaches
`min_confidence`; below it the answer is not_enough_evidence, with confidence 1 − that probability (how
often deciding would have been wrong), and the probabilities still go back to the caller.

Each stance model has a fit per calibration profile (CALIBRATIONS): `general` on both dev sets, each weighing the
same (the default), and `news` on AVeriTeC's real claims alone, for a desk whose claims are news. The two kinds of
claims need different weights: COVID-Fact's refuted claims are one-word swaps that the model entails, so in a
pooled fit entailment counts for `refuted` almost as much as for `supported`, which real news claims do not bear
out. So the general fits also read the claim's domain (`domain`: how much it reads as a health claim) and each
evidence feature times it, and weigh each kind's evidence as that kind bears out. Each profile's level is chosen on
the claims it was fitted on.

A claim with no statement on its topic (none at least LOOSE similar, none the model is sure of) is
not_enough_evidence whatever the calibrator says: every dev claim has evidence in its archive, so the fit
never saw such a claim, and its base rates (most claims that fact-checkers pick are false) must not decide one.

Without a fit for the stance model in use (`--stance cues`, or a model trained since) the verdict falls back to
the strengths rule: support strength S is the best `supports` score among supporting statements plus
CORROBORATION for every further publisher, conflict strength C likewise; both ≥ STRONG → conflicting, else
the larger, if ≥ DECIDE, decides; its confidence is then a raw score, not a probability.
"""

from factdesk.index.verdict.calibrator import (
    CALIBRATION_FILE,
    CALIBRATIONS,
    Calibrator,
    load_calibrator,
    model_digest,
    parse_calibration,
)
from factdesk.index.verdict.decide import (
    CONFLICTING,
    CORROBORATION,
    DECIDE,
    DECIDED,
    NOT_ENOUGH,
    REFUTED,
    STRONG,
    SUPPORTED,
    VERDICTS,
    Verdict,
    backed,
    decide_verdict,
    parse_min_confidence,
    raw_probabilities,
)
from factdesk.index.verdict.features import EVIDENCE_FEATURES, FEATURES, Judged, aggregate, on_topic

__all__ = [
    "CALIBRATIONS",
    "CALIBRATION_FILE",
    "CONFLICTING",
    "CORROBORATION",
    "DECIDE",
    "DECIDED",
    "EVIDENCE_FEATURES",
    "FEATURES",
    "NOT_ENOUGH",
    "REFUTED",
    "STRONG",
    "SUPPORTED",
    "VERDICTS",
    "Calibrator",
    "Judged",
    "Verdict",
    "aggregate",
    "backed",
    "decide_verdict",
    "load_calibrator",
    "model_digest",
    "on_topic",
    "parse_calibration",
    "parse_min_confidence",
    "raw_probabilities",
]
