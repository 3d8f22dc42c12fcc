"""The claims a fresh install must answer, with the default stance (the shipped model), the fast model, the
accurate one and with cues alone."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import StanceClassifier, load_stance

CLAIMS = [
    ("M23 rebels have captured Goma", "supported", "Meanwhile, M23 rebels have captured Goma", "supports"),
    ("Goma was captured by M23 rebels", "supported", "Meanwhile, M23 rebels have captured Goma", "supports"),
    ("M23 rebels failed to capture Goma", "refuted", "Meanwhile, M23 rebels have captured Goma", "conflicts"),
    (
        "Kagame called for an immediate ceasefire in eastern DRC",
        "supported",
        "Rwandan President Paul Kagame",
        "supports",
    ),
    ("Rwanda ordered schools and businesses in Rubavu to close", "supported", "Border crossings", "supports"),
    # "said" against "stating, “I look forward to ...”": a verb of saying is in a statement that says so another way
    (
        "Kagame said he looks forward to working with the Trump Administration",
        "supported",
        "Kagame underscored the need",
        "supports",
    ),
    ("The Eiffel Tower is in Paris", "not_enough_evidence", None, None),
    # only 0.35 similar to its statement, yet plainly contradicted by it
    ("Nobody was injured in Rubavu", "refuted", "According to Rwanda’s The New Times", "conflicts"),
    # loosely on topic (0.43), and nothing in the archive says so
    ("Uganda closed its border with the DRC", "not_enough_evidence", None, None),
]
# antonyms, paraphrase and direction, read through the claim restated in the statement's words
# (`cues.restatements`): "eased" against "a stunning escalation" is read as "has escalated", which the statement
# entails; "growing" as "intensifying"; "fleeing from Rwanda into Congo" against "pushed Congolese refugees into
# Rwanda" as the movement reversed.
NEWS_EDITS = [
    ("The fighting around Goma has eased", "refuted", "Meanwhile, M23 rebels have captured Goma", "conflicts"),
    ("Clashes between M23 and the Congolese army are growing", "supported", "His remarks", "supports"),
    ("The humanitarian situation is improving", "refuted", "The humanitarian situation is deteriorating", "conflicts"),
    ("Refugees are fleeing from Rwanda into Congo", "refuted", "The conflict has pushed", "conflicts"),
    ("Refugees are fleeing from Congo into Rwanda", "supported", "The conflict has pushed", "supports"),
    # "... captured Goma, the capital of North Kivu, ...": what the statement says of Goma in passing
    ("Goma is the capital of South Kivu", "refuted", "Meanwhile, M23 rebels have captured Goma", "conflicts"),
]


def _seeded(
    factory: pytest.TempPathFactory,
    embedder: Embedder,
    seed_article: Article,
    stance: StanceClassifier,
    calibration: str = "general",
) -> Iterator[Archive]:
    """An archive of the seed article alone, closed when the module's tests are done."""
    a = Archive(Path(factory.mktemp(calibration)), embedder=embedder, stance=stance, calibration=calibration)
    a.ingest([seed_article])
    yield a
    a.close()


@pytest.fixture(scope="module")
def fast_seeded(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seed_article: Article
) -> Iterator[Archive]:
    yield from _seeded(tmp_path_factory, embedder, seed_article, load_stance("fast"))


@pytest.mark.parametrize("claim, verdict, evidence, expected", CLAIMS + NEWS_EDITS)
def test_seed_claims(seeded: Archive, claim: str, verdict: str, evidence: str | None, expected: str | None) -> None:
    _expect(seeded, claim, verdict, evidence, expected)


@pytest.fixture(scope="module")
def accurate_stance() -> StanceClassifier:
    return load_stance("accurate")


@pytest.fixture(scope="module")
def accurate_seeded(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    seed_article: Article,
    accurate_stance: StanceClassifier,
) -> Iterator[Archive]:
    yield from _seeded(tmp_path_factory, embedder, seed_article, accurate_stance)


@pytest.mark.parametrize("claim, verdict, evidence, expected", CLAIMS + NEWS_EDITS)
def test_seed_claims_with_the_accurate_model(
    accurate_seeded: Archive, claim: str, verdict: str, evidence: str | None, expected: str | None
) -> None:
    assert accurate_seeded.stance.name == "nli-minilm-l6-l12" and accurate_seeded.calibrator is not None
    _expect(accurate_seeded, claim, verdict, evidence, expected)


@pytest.mark.parametrize("claim, verdict, evidence, expected", CLAIMS)
def test_seed_claims_with_the_fast_model(
    fast_seeded: Archive, claim: str, verdict: str, evidence: str | None, expected: str | None
) -> None:
    assert fast_seeded.stance.name == "nli-minilm-l3"
    _expect(fast_seeded, claim, verdict, evidence, expected, decide=False)  # a weaker reader, with its own fit


# decided at the default level; the other claims lean the right way and may fall short of it (calibrated on real
# claims, an entailing statement is right less often than it looks)
DECIDED_AT_THE_DEFAULT = {
    "M23 rebels have captured Goma",
    "Goma is the capital of South Kivu",
    "Kagame said he looks forward to working with the Trump Administration",
    "Goma was captured by M23 rebels",
    "M23 rebels failed to capture Goma",
    "Nobody was injured in Rubavu",
    "The Eiffel Tower is in Paris",
    "Uganda closed its border with the DRC",
    "The fighting around Goma has eased",
    "The humanitarian situation is improving",
}


# with the news calibration (fitted on real news claims alone, which bear out a statement that entails the claim
# more often than the general fit's science claims do), the claims of DECIDED_WITH_NEWS are decided and every
# other one leans the right way
DECIDED_WITH_NEWS = {
    "M23 rebels failed to capture Goma",
    "Nobody was injured in Rubavu",
    "The Eiffel Tower is in Paris",
    "Uganda closed its border with the DRC",
    "The fighting around Goma has eased",
    "Clashes between M23 and the Congolese army are growing",
    "The humanitarian situation is improving",
    "Refugees are fleeing from Congo into Rwanda",
}


@pytest.fixture(scope="module", params=["stance_classifier", "accurate_stance"], ids=["default", "accurate"])
def news_seeded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    seed_article: Article,
) -> Iterator[Archive]:
    yield from _seeded(tmp_path_factory, embedder, seed_article, request.getfixturevalue(request.param), "news")


# the accurate model's news fit decides every one of them but "Refugees are fleeing from Rwanda into Congo": its
# statement's first clause ("The conflict has pushed Congolese refugees into Rwanda") is closer to the claim than the
# whole, and that fit reads a closer contradicting statement as a little less sure, just under its level
DECIDED_WITH_NEWS_BY_MODEL = {
    "nli-minilm-l6-l12-unsure": DECIDED_WITH_NEWS,
    "nli-minilm-l6-l12": {claim for claim, *_ in CLAIMS + NEWS_EDITS} - {"Refugees are fleeing from Rwanda into Congo"},
}


@pytest.mark.parametrize("claim, verdict, evidence, expected", CLAIMS + NEWS_EDITS)
def test_seed_claims_with_the_news_calibration(
    news_seeded: Archive, claim: str, verdict: str, evidence: str | None, expected: str | None
) -> None:
    assert news_seeded.calibrator is not None and news_seeded.min_confidence == news_seeded.calibrator.min_confidence
    decided = DECIDED_WITH_NEWS_BY_MODEL[news_seeded.stance.name]
    _expect(news_seeded, claim, verdict, evidence, expected, decided=decided)


def _expect(
    archive: Archive,
    claim: str,
    verdict: str,
    evidence: str | None,
    expected: str | None,
    decide: bool = True,
    decided: set[str] = DECIDED_AT_THE_DEFAULT,
) -> None:
    """The claim leans to `verdict` and, at the default level, gets it or none, never another; with `decide`, the
    claims of `decided` get it."""
    if verdict != "not_enough_evidence":
        leaning = archive.check(claim, min_confidence=0.0)
        assert leaning.verdict == verdict, (
            leaning.probabilities,
            [(e.stance, e.stance_scores) for e in leaning.evidence],
        )
    result = archive.check(claim)
    assert result.verdict in (verdict, "not_enough_evidence"), result.probabilities
    if decide and claim in decided:
        assert result.verdict == verdict, result.probabilities
    if evidence:
        match = next(e for e in result.evidence if e.statement.text.startswith(evidence))
        assert match.stance == expected
        assert result.evidence[0] is match


def test_reported_speech_supports_what_it_reports(archive: Archive) -> None:
    archive.ingest([Article(text="The Kanyabayonga bridge was destroyed on Sunday, officials said.", id="bridge")])
    for claim in ("The Kanyabayonga bridge was destroyed", "The Kanyabayonga bridge was destroyed on Sunday"):
        result = archive.check(claim)
        assert result.evidence[0].stance == "supports", (claim, result.evidence[0].stance_scores)
        assert result.verdict == "supported", (claim, result.probabilities)


def test_number_cue_names_the_numbers(seeded: Archive) -> None:
    result = seeded.check("About 50 civilians were injured when two bombs landed in Mbugangari")
    top = result.evidence[0]
    assert top.statement.text.startswith("According to Rwanda’s The New Times")
    assert top.stance != "supports" and result.verdict != "supported"
    (cue,) = [c for c in top.cues if c.kind == "number"]
    assert "50" in cue.claim.text and "15" in cue.statement.text  # type: ignore[union-attr]
    assert top.statement.speaker == "Rwanda’s The New Times"


def test_speaker_is_returned(seeded: Archive) -> None:
    result = seeded.check("Kagame called for an immediate ceasefire in eastern DRC")
    assert "Kagame" in (result.evidence[0].statement.speaker or "")


NEED_THE_MODEL = {
    "Rwanda ordered schools and businesses in Rubavu to close",
    "Nobody was injured in Rubavu",
    "Kagame said he looks forward to working with the Trump Administration",
}


@pytest.mark.parametrize("claim, verdict", [(c[0], c[1]) for c in CLAIMS if c[0] not in NEED_THE_MODEL])
def test_seed_claims_with_cues_alone(cue_archive: Archive, claim: str, verdict: str) -> None:
    assert cue_archive.check(claim).verdict == verdict


# the seed cases a fact-checker tried against the seed article alone: each decided at the default level, and the
# same whatever top_k. Those the shipped model leaves undecided (it leans the right way or not) are strict xfails:
# the target of the stance model in training (training/README.md), which must turn them into passes.
UNDECIDED_YET = pytest.mark.xfail(strict=True, reason="not decided by this stance model yet")
SEED_CASES = [
    ("FARDC soldiers discarded their uniforms", "supported"),
    ("The Rwandan government called for renewed engagement in the peace processes", "supported"),
    ("M23 demanded that FARDC soldiers surrender", "supported"),
    ("Kenya's president called for an emergency regional summit", "supported"),
    ("Thousands have been forced to flee the clashes", "supported"),
    ("Rwanda ordered schools and businesses in Rubavu to close", "supported"),
    ("The bombs landed in Goma", "refuted"),
    ("Kagame rejected a ceasefire in eastern DRC", "refuted"),
    ("M23 rebels lost control of Goma", "refuted"),
]
# "M23 rebels lost control of Goma" is read as "M23 rebels captured control of Goma" against "M23 rebels have
# captured Goma" (the same party before both verbs), which that statement contradicts it by
# "M23 demanded that FARDC soldiers surrender" is supported by "The group declared control over the city, demanding
# the surrender of FARDC soldiers", whose subject refers back to the M23 of the sentence before it
# "FARDC soldiers discarded their uniforms" is supported by the second clause of "The conflict has pushed Congolese
# refugees into Rwanda, while dozens of FARDC soldiers have been seen ... discarding their uniforms", the statement
# as close to the claim as that clause
UNDECIDED_BY_THE_DEFAULT = {"The bombs landed in Goma"}
# with its fit on records of the reader that restates bounded figures (level 0.625), the accurate model (the default
# one averaged with the 12-layer one) decides "The bombs landed in Goma" too
UNDECIDED_BY_THE_ACCURATE_MODEL: set[str] = set()


def _seed_cases(undecided: set[str]) -> list[Any]:  # pytest.param sets
    return [pytest.param(c, v, marks=UNDECIDED_YET if c in undecided else ()) for c, v in SEED_CASES]


@pytest.mark.parametrize("claim, verdict", _seed_cases(UNDECIDED_BY_THE_DEFAULT))
def test_seed_cases_are_decided_whatever_top_k(seeded: Archive, claim: str, verdict: str) -> None:
    _decided_whatever_top_k(seeded, claim, verdict)


@pytest.mark.parametrize("claim, verdict", _seed_cases(UNDECIDED_BY_THE_ACCURATE_MODEL))
def test_seed_cases_with_the_accurate_model(accurate_seeded: Archive, claim: str, verdict: str) -> None:
    _decided_whatever_top_k(accurate_seeded, claim, verdict)


def _decided_whatever_top_k(archive: Archive, claim: str, verdict: str) -> None:
    results = [archive.check(claim, top_k=k) for k in (1, 3, 5)]
    assert len({(r.verdict, r.confidence, tuple(r.probabilities.items())) for r in results}) == 1
    assert [r.verdict for r in results] == [verdict] * 3, (results[2].probabilities, results[2].leaning)
