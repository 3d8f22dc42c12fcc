"""A compound statement's similarity as its closest clause's (index/retrieve/clauses.py)."""

from types import SimpleNamespace

import pytest
from fakes import WordEmbedder

from factdesk.index.retrieve.clauses import MAX_CLAUSES, clauses, closest_clauses
from factdesk.index.retrieve.evidence import Evidence

COMPOUND = "Refugees crossed into Rwanda, while dozens of soldiers were seen discarding their uniforms."
SIMPLE = "Dozens of soldiers crossed the border into Rwanda on Tuesday."


def _evidence(text: str, similarity: float) -> Evidence:
    return Evidence(SimpleNamespace(id=0, text=text), SimpleNamespace(id="a"), similarity, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, parts",
    [
        (COMPOUND, ["Refugees crossed into Rwanda", "dozens of soldiers were seen discarding their uniforms."]),
        (
            "Prices rose in May; wages fell for the third month.",
            ["Prices rose in May", "wages fell for the third month."],
        ),
        (SIMPLE, []),
        ("The army — its spokesman said — has left the town of Sake.", []),  # the aside is too short to stand alone
    ],
)
def test_clauses(text: str, parts: list[str]) -> None:
    assert clauses(text) == parts


def test_a_statement_of_many_clauses_gives_its_first_few() -> None:
    listed = "; ".join(f"rebels seized the town number {n}" for n in range(3000)) + "."
    assert clauses(listed) == [f"rebels seized the town number {n}" for n in range(MAX_CLAUSES)]


def test_a_compound_statement_is_as_close_as_its_closest_clause() -> None:
    embedder = WordEmbedder()
    claim = embedder.embed(["Soldiers were seen discarding their uniforms"])[0]
    compound, simple = _evidence(COMPOUND, 0.0), _evidence(SIMPLE, 0.25)
    closest_clauses(embedder.embed, claim, [compound, simple])
    whole, uniforms = embedder.embed([COMPOUND, "dozens of soldiers were seen discarding their uniforms."]) @ claim
    assert uniforms > whole
    assert compound.similarity == pytest.approx(uniforms)
    assert simple.similarity == 0.25  # nothing to split
    assert embedder.calls == 3  # the claim's, one for every clause, and the test's own


def test_a_clause_never_lowers_the_similarity() -> None:
    embedder = WordEmbedder()
    claim = embedder.embed([COMPOUND])[0]
    compound = _evidence(COMPOUND, 0.99)
    closest_clauses(embedder.embed, claim, [compound])
    assert compound.similarity == 0.99
