"""Verdict rules over judged evidence (index/verdict.py): the calibrated decision and the fallback rule."""

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from factdesk.index.errors import InvalidInput
from factdesk.index.stance.model import ACCURATE, DEFAULT, FAST, MEMBERS, SHIPPED, ensemble_members, unsure_below
from factdesk.index.text.cues import Cue
from factdesk.index.verdict import (
    CALIBRATIONS,
    CORROBORATION,
    DECIDE,
    EVIDENCE_FEATURES,
    FEATURES,
    STRONG,
    Calibrator,
    aggregate,
    backed,
    decide_verdict,
    load_calibrator,
    model_digest,
    parse_min_confidence,
)
from factdesk.index.verdict.domain import domain_digest

CLAIM = "Two bridges were destroyed in the fighting"


@dataclass
class Judged:
    stance: str
    supports: float = 0.0
    conflicts: float = 0.0
    publisher_key: str = "a"
    similarity: float = 0.8
    cues: list[Cue] = field(default_factory=list)
    text: str = "Two bridges were destroyed in the fighting, officials said."
    reading: str | None = None
    context: str | None = None

    @property
    def stance_scores(self) -> dict[str, float]:
        return {"supports": self.supports, "conflicts": self.conflicts, "neutral": 1 - self.supports - self.conflicts}


def test_one_supporting_statement_decides_with_its_score() -> None:
    v = decide_verdict(CLAIM, [Judged("supports", supports=0.8), Judged("neutral", supports=0.1)])
    assert (v.label, v.confidence, v.supporting_publishers, v.conflicting_publishers) == ("supported", 0.8, 1, 0)
    # no calibrator: a raw reading, the strengths as two independent chances
    assert v.probabilities == {"supported": 0.8, "refuted": 0.0, "conflicting": 0.0, "not_enough_evidence": 0.2}
    assert v.leaning is None


def test_a_conflict_outweighs_weaker_support() -> None:
    v = decide_verdict(
        CLAIM, [Judged("supports", supports=0.6), Judged("conflicts", conflicts=0.85, publisher_key="b")]
    )
    assert v.label == "refuted"
    assert v.confidence == pytest.approx(0.85 * (1 - 0.6 / 2), abs=1e-4)
    assert (v.supporting_publishers, v.conflicting_publishers) == (1, 1)


def test_strong_evidence_both_ways_is_conflicting() -> None:
    both = [Judged("supports", supports=STRONG + 0.02), Judged("conflicts", conflicts=STRONG + 0.05)]
    assert decide_verdict(CLAIM, both).label == "conflicting"
    just_below = [Judged("supports", supports=STRONG - 0.05), Judged("conflicts", conflicts=STRONG + 0.05)]
    assert decide_verdict(CLAIM, just_below).label == "refuted"


def test_independent_publishers_corroborate() -> None:
    one = decide_verdict(CLAIM, [Judged("supports", supports=0.6), Judged("supports", supports=0.55)])
    two = decide_verdict(
        CLAIM, [Judged("supports", supports=0.6), Judged("supports", supports=0.55, publisher_key="b")]
    )
    assert one.supporting_publishers == 1 and two.supporting_publishers == 2
    assert two.confidence == pytest.approx(one.confidence + CORROBORATION)


def test_not_enough_evidence_is_less_sure_when_a_statement_nearly_decides() -> None:
    assert decide_verdict(CLAIM, []).confidence == 1.0
    far = decide_verdict(CLAIM, [Judged("neutral", supports=0.05)])
    near = decide_verdict(CLAIM, [Judged("neutral", supports=0.1), Judged("neutral", conflicts=0.45)])
    weak = decide_verdict(CLAIM, [Judged("supports", supports=DECIDE - 0.1)])
    assert far.label == near.label == weak.label == "not_enough_evidence"
    assert (far.confidence, near.confidence, weak.confidence) == (0.95, 0.55, pytest.approx(1 - (DECIDE - 0.1)))


# entailment decides "supported", contradiction "refuted"; nothing else counts
TOY = Calibrator(
    ("not_enough_evidence", "refuted", "supported"),
    FEATURES,
    tuple(
        tuple(w if f == name else 0.0 for f in FEATURES)
        for name, w in (("entail", 0.0), ("contradict", 6.0), ("entail", 6.0))
    ),
    (0.0, -2.0, -2.0),
    "a toy fit",
)


def test_calibrated_probabilities_decide_and_abstain_below_the_level() -> None:
    evidence = [Judged("supports", supports=0.95)]
    sure = decide_verdict(CLAIM, evidence, TOY)
    assert sure.label == "supported"
    assert sure.confidence == sure.probabilities["supported"] > 0.9
    assert sum(sure.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    unsure = decide_verdict(CLAIM, evidence, TOY, min_confidence=0.99)
    assert unsure.label == "not_enough_evidence"
    assert unsure.confidence == pytest.approx(1 - sure.confidence, abs=1e-4)
    assert unsure.probabilities == sure.probabilities  # the caller still sees what it leaned to
    assert unsure.leaning == "supported" and sure.leaning is None


def test_a_cue_is_a_feature_not_a_verdict() -> None:
    number = Cue("number", None, None, "claim says 50, statement says 15")
    features = aggregate(CLAIM, [Judged("supports", supports=0.7, similarity=0.8, cues=[number])])
    assert features["hard_cue"] == 0.8 and features["hard_cue_entail"] == 0.7 and features["soft_cue"] == 0.0
    assert features["support_missing"] == 0.0  # every content word of the claim is in the statement
    assert decide_verdict(CLAIM, [Judged("neutral", similarity=0.8, cues=[number])], TOY).label == "not_enough_evidence"


def test_a_statement_that_refers_back_has_the_names_of_the_sentence_before() -> None:
    claim = "M23 demanded that FARDC soldiers surrender"
    text = "The group declared control over the city, demanding the surrender of FARDC soldiers."
    context = "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu."
    alone = aggregate(claim, [Judged("supports", supports=0.82, text=text)])
    after = aggregate(claim, [Judged("supports", supports=0.82, text=text, context=context)])
    assert alone["support_missing"] == 0.2 and alone["restated"] == 0.0  # "M23" is "the group"
    assert after["support_missing"] == 0.0 and after["restated"] == 0.82
    # a subject of its own keeps its own words
    named = aggregate(claim, [Judged("supports", supports=0.82, text="Kinshasa " + text[4:], context=context)])
    assert named["support_missing"] == 0.2


def test_a_verb_of_saying_is_in_a_statement_that_says_so_another_way() -> None:
    claim = "Kagame said he looks forward to working with the new administration"
    quoted = "Kagame welcomed the talks, stating, “I look forward to working with the new administration.”"
    plain = "Kagame looks forward to working with the new administration."
    assert aggregate(claim, [Judged("supports", supports=0.9, text=quoted)])["restated"] == 0.9
    assert aggregate(claim, [Judged("supports", supports=0.9, text=plain)])["support_missing"] == 1 / 7
    # a verb that says how is a word of the claim like any other, and "States" is a name
    warned = "Kagame warned he looks forward to working with the new administration"
    assert aggregate(warned, [Judged("supports", supports=0.9, text=quoted)])["support_missing"] == 1 / 7
    told = "Kagame looks forward to working with the new administration, he told reporters."
    assert aggregate(claim, [Judged("supports", supports=0.9, text=told)])["restated"] == 0.9
    states = "The United States looks forward to working with the new administration"
    assert aggregate(states, [Judged("supports", supports=0.9, text=told)])["support_missing"] == 2 / 7


def test_the_claims_domain_weighs_the_evidence() -> None:
    """Each evidence feature also comes times the claim's domain, so one fit can trust an entailing statement for a
    news claim and doubt it for a health one (COVID-Fact's false claims are one-word swaps of true ones)."""
    evidence = [Judged("supports", supports=0.9)]
    news, health = aggregate(CLAIM, evidence), aggregate(CLAIM, evidence, health=0.8)
    assert news["health"] == 0 and all(news[f"health_{f}"] == 0 for f in EVIDENCE_FEATURES)
    assert {f: health[f] for f in EVIDENCE_FEATURES} == {f: news[f] for f in EVIDENCE_FEATURES}
    assert health["health"] == 0.8 and health["health_entail"] == pytest.approx(0.72)
    assert set(health) == set(FEATURES)
    # entailment decides supported, unless the claim is a health claim
    doubting = Calibrator(
        ("refuted", "supported"),
        FEATURES,
        ((0.0,) * len(FEATURES), tuple({"entail": 6.0, "health_entail": -8.0}.get(f, 0.0) for f in FEATURES)),
        (0.0, -2.0),
        needs_its_side=True,
    )
    assert decide_verdict(CLAIM, evidence, doubting).label == "supported"
    assert decide_verdict(CLAIM, evidence, doubting, health=0.9).label == "not_enough_evidence"  # no conflict


def test_nothing_on_topic_is_not_enough_evidence_whatever_the_fit() -> None:
    always_refuted = Calibrator(("refuted", "supported"), FEATURES, ((0.0,) * len(FEATURES),) * 2, (5.0, 0.0))
    off_topic = [Judged("neutral", supports=0.05, similarity=0.2)]
    assert decide_verdict(CLAIM, off_topic, always_refuted).label == "not_enough_evidence"
    assert decide_verdict(CLAIM, [Judged("neutral", similarity=0.6)], always_refuted).label == "refuted"


def test_a_fit_that_needs_its_side_leaves_the_prior_undecided() -> None:
    """The prior says refuted; with needs_its_side only a conflicting statement lets it decide."""
    always_refuted = Calibrator(("refuted", "supported"), FEATURES, ((0.0,) * len(FEATURES),) * 2, (5.0, 0.0))
    strict = replace(always_refuted, needs_its_side=True)
    silent = [Judged("neutral", similarity=0.6)]
    assert decide_verdict(CLAIM, silent, always_refuted).label == "refuted"
    undecided = decide_verdict(CLAIM, silent, strict)
    assert undecided.label == "not_enough_evidence" and undecided.leaning == "refuted"
    assert undecided.probabilities == decide_verdict(CLAIM, silent, always_refuted).probabilities
    assert decide_verdict(CLAIM, [*silent, Judged("conflicts", conflicts=0.8)], strict).label == "refuted"
    assert Calibrator.from_json(strict.to_json()) == strict


@pytest.mark.parametrize(
    "verdict, stances, taken",
    [
        ("supported", ["supports", "neutral"], True),
        ("supported", ["conflicts"], False),
        ("refuted", ["neutral", "conflicts"], True),
        ("refuted", ["supports"], False),
        ("conflicting", ["supports", "conflicts"], True),
        ("conflicting", ["supports"], False),
    ],
)
def test_backed_needs_a_statement_of_the_verdicts_stance(verdict: str, stances: list[str], taken: bool) -> None:
    assert backed(verdict, [Judged(stance) for stance in stances]) is taken


@pytest.mark.parametrize(
    "model, calibration",
    [
        (DEFAULT, "general"),
        (SHIPPED, "general"),
        (FAST, "general"),
        (ACCURATE, "general"),
        (DEFAULT, "news"),
        (SHIPPED, "news"),
        (ACCURATE, "news"),
    ],
)
def test_calibrator_round_trips_and_ships_for_each_model(model: Path, calibration: str) -> None:
    assert Calibrator.from_json(TOY.to_json()) == TOY
    shipped = load_calibrator(model.name, calibration)
    assert shipped is not None, model.name
    # the general fits read the claim's domain where that measured better (docs/benchmarks.md), the news fits never
    assert shipped.features in {FEATURES, EVIDENCE_FEATURES} and "dev" in shipped.fitted_on
    assert calibration == "general" or shipped.features == EVIDENCE_FEATURES
    assert ("covidfact" in shipped.fitted_on) == (calibration == "general")  # news: real news claims alone
    assert 0.5 <= shipped.min_confidence < 1.0
    assert shipped.model_sha256 == model_digest(model), "calibrate the model again"
    # a fit that reads the claim's domain is held to the domain model's file too
    assert shipped.domain_sha256 == (domain_digest() if "health" in shipped.features else ""), "calibrate again"


def test_the_readme_states_each_fits_level() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    fits = {
        (model.name, profile): load_calibrator(model.name, profile)
        for model in (DEFAULT, ACCURATE)
        for profile in CALIBRATIONS
    }
    level = {key: fit.min_confidence for key, fit in fits.items() if fit}
    assert f"`min_confidence` (default **{level[DEFAULT.name, 'general']:g}**)" in readme
    news_header = readme.split("| AVeriTeC, news fit |", 1)[0].rsplit("| `min_confidence` |", 1)[1]
    assert f"| **{level[DEFAULT.name, 'news']:g}** |" in news_header
    assert f"`--stance accurate` has its own calibration, at level {level[ACCURATE.name, 'general']:g}:" in readme
    assert f"(`--stance accurate --calibration news`, level {level[ACCURATE.name, 'news']:g})" in readme


def test_an_averaging_model_is_held_to_its_members_files(tmp_path: Path) -> None:
    for name, weights in (("a", b"one"), ("b", b"two")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.onnx").write_bytes(weights)
    mean = tmp_path / "mean"
    mean.mkdir()
    (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 3}}))
    assert ensemble_members(mean) == [((tmp_path / "a").resolve(), 0.25), ((tmp_path / "b").resolve(), 0.75)]
    assert ensemble_members(tmp_path / "a") == []
    first = model_digest(mean)
    assert first not in {model_digest(tmp_path / "a"), model_digest(tmp_path / "b")}
    (tmp_path / "b" / "model.onnx").write_bytes(b"retrained")
    assert model_digest(mean) != first  # a member trained again needs the mean calibrated again
    (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 1}}))
    assert model_digest(mean) != first  # ... as do other weights
    for members in ({"../a": 1}, {"../a": 1, "../b": 0}):
        (mean / MEMBERS).write_text(json.dumps({"members": members}))
        with pytest.raises(InvalidInput, match="two or more member directories"):
            ensemble_members(mean)
    assert [path.name for path, _ in ensemble_members(ACCURATE)] == ["nli-minilm-l6", "nli-minilm-l12"]
    assert [path.name for path, _ in ensemble_members(DEFAULT)] == ["nli-minilm-l6", "nli-minilm-l12"]
    assert unsure_below(ACCURATE) is None and unsure_below(DEFAULT) == 0.5


def test_a_second_opinion_model_is_held_to_its_level(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.onnx").write_bytes(name.encode())
    mean = tmp_path / "mean"
    mean.mkdir()
    (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 1}}))
    everywhere = model_digest(mean)
    (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 1}, "unsure_below": 0.5}))
    half = model_digest(mean)
    assert unsure_below(mean) == 0.5 and half != everywhere
    (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 1}, "unsure_below": 0.6}))
    assert model_digest(mean) not in {everywhere, half}  # another level needs the model calibrated again
    for level in (0, 1.5, "half", True):
        (mean / MEMBERS).write_text(json.dumps({"members": {"../a": 1, "../b": 1}, "unsure_below": level}))
        with pytest.raises(InvalidInput, match="unsure_below must be a number above 0 and at most 1"):
            unsure_below(mean)


def test_a_calibration_the_model_lacks_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no 'news' calibration"):
        load_calibrator(FAST.name, "news")  # on real news claims its fit decides fewer claims than the general one
    with pytest.raises(InvalidInput, match="unknown calibration 'science'"):
        load_calibrator(SHIPPED.name, "science")
    assert load_calibrator("cues-only", "news") is None  # no model, no fit: the strengths rule decides


@pytest.mark.parametrize("text, level", [("0", 0.0), ("0.8", 0.8), ("1", 1.0), ("", None), (None, None)])
def test_min_confidence_levels(text: str | None, level: float | None) -> None:
    assert parse_min_confidence(text) == level


@pytest.mark.parametrize("text", ["1.5", "-0.1", "high", "nan"])
def test_min_confidence_outside_0_1_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="from 0 to 1"):
        parse_min_confidence(text)
