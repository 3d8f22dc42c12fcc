"""The claim-domain model: shipped with its provenance, telling health claims from news ones over the real
encoder's vectors, and read by every check's verdict."""

from dataclasses import replace
from pathlib import Path

import pytest

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import CueStance
from factdesk.index.verdict import FEATURES, Calibrator
from factdesk.index.verdict.domain import ClaimDomain, load_domain

HEALTH = [
    "Vitamin D supplements reduce the risk of severe COVID-19",
    "Masks lower the wearer's oxygen levels",
    "Remdesivir shortens recovery time in hospitalized patients",
]
NEWS = [
    "M23 rebels have captured Goma",
    "Kenya's president called for an emergency regional summit",
    "The senator voted against the budget three times",
]


def test_the_shipped_domain_model_says_where_it_comes_from() -> None:
    domain = load_domain()
    assert domain.embedding.shape == (384,)
    assert "healthver" in domain.about["data"]["health"] and "claimbuster" in domain.about["data"]["news"]
    assert domain.about["held_out"]["folds"] == 5 and domain.about["held_out"]["auc"] > 0.95
    assert ClaimDomain.from_json(domain.to_json()).to_json() == domain.to_json()


def test_health_claims_score_high_and_news_claims_low(embedder: Embedder) -> None:
    domain = load_domain()
    health = [domain.health(v) for v in embedder.embed(HEALTH)]
    news = [domain.health(v) for v in embedder.embed(NEWS)]
    assert min(health) > 0.5 > max(news), (health, news)


@pytest.mark.parametrize("claim, label", [(HEALTH[0], "supported"), (NEWS[1], "refuted")])
def test_a_check_reads_the_claims_domain(tmp_path: Path, embedder: Embedder, claim: str, label: str) -> None:
    """A fit whose only reading is the domain: health claims supported, news claims refuted."""
    archive = Archive(tmp_path / "data", embedder=embedder, stance=CueStance())
    archive.ingest([Article(text=f"{HEALTH[0]}, a trial found. {NEWS[1]} on Monday.", id="a", publisher="p")])
    by_domain = Calibrator(
        ("refuted", "supported"), FEATURES, ((0.0,) * len(FEATURES), tuple(12.0 * (f == "health") for f in FEATURES)),
        (0.0, -6.0),
    )  # fmt: skip
    archive.steps = replace(archive.steps, calibrator=by_domain)
    result = archive.check(claim, min_confidence=0.0)
    assert result.verdict == label, result.probabilities
    archive.close()
