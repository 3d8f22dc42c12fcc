import pytest

from factdesk.index.text.cues import find_cues, quantities
from factdesk.index.text.restate import restatements

BOMBS = "According to Rwanda’s The New Times, at least two bombs landed in Mbugangari, injuring about 15 civilians."
GOMA = "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu."


def kinds(claim: str, statement: str) -> list[str]:
    return [c.kind for c in find_cues(claim, statement)]


def test_number_cue_has_spans_in_both_texts() -> None:
    claim = "About 50 civilians were injured when two bombs landed in Mbugangari"
    (cue,) = find_cues(claim, BOMBS)
    assert cue.kind == "number"
    assert cue.claim is not None and cue.statement is not None
    assert claim[cue.claim.start : cue.claim.end] == "About 50 civilians"
    assert BOMBS[cue.statement.start : cue.statement.end] == "about 15 civilians"


def test_compatible_numbers_are_not_cues() -> None:
    assert kinds("About 15 civilians were injured", BOMBS) == []
    assert kinds("At least 10 civilians were injured", BOMBS) == []  # "at least" is consistent with 15
    assert kinds("Sixteen civilians were injured", BOMBS) == []  # within "about"


def test_quantities_read_words_scales_and_percentages() -> None:
    q = {x.span.text: (x.low, x.high) for x in quantities("Some 1,200 people, 3.5 million dollars and 40% of voters")}
    assert q["Some 1,200 people"] == (1020.0, 1380.0)
    assert q["3.5 million dollars"] == (3.5e6, 3.5e6)
    assert q["40% of voters"] == (40.0, 40.0)


def test_date_cue() -> None:
    claim = "Ruto called for a summit on Friday"
    (cue,) = find_cues(claim, "Previously on Monday, Kenyan President William Ruto called for a summit.")
    assert (cue.kind, cue.claim.text, cue.statement.text) == ("date", "Friday", "Monday")  # type: ignore[union-attr]


def test_negation_cue_either_way() -> None:
    assert kinds("M23 rebels failed to capture Goma", GOMA) == ["negation"]
    assert kinds("M23 rebels have captured Goma", "M23 has not captured Goma.") == ["negation"]
    assert kinds("M23 did not take Goma", "M23 never took Goma.") == []


def test_entity_in_the_same_role() -> None:
    (cue,) = find_cues("M23 rebels have captured Bukavu", GOMA)
    assert (cue.kind, cue.claim.text, cue.statement.text) == ("entity", "Bukavu", "Goma")  # type: ignore[union-attr]
    assert kinds("M23 rebels have captured Goma", GOMA) == []


@pytest.mark.parametrize(
    "claim, statement, names",
    [
        # a shared title or word, the rest differs: another person or place
        (
            "Kagame spoke with Secretary Blinken about a ceasefire",
            "Kagame spoke with Secretary Rubio @SecRubio.",
            ("Secretary Blinken", "Secretary Rubio"),
        ),
        (
            "M23 holds the capital of South Kivu",
            "M23 holds Goma, the capital of North Kivu.",
            ("South Kivu", "North Kivu"),
        ),
        # the same name, spelt or written out differently
        ("General Rwivanga accused FARDC", "Brigadier-General Ronald Rwivanga accused FARDC and the FDLR.", None),
        ("President Kagame urged a ceasefire", "Rwandan President Paul Kagame has urged a ceasefire.", None),
        ("Kagame met President Ruto", "President William Ruto met Kagame on Monday.", None),
        ("Sars-cov2 binds the ACE2 receptor", "SARS-CoV-2 binds the ACE2 receptor of human cells.", None),
    ],
)
def test_entities_differ_by_name_not_by_spelling(claim: str, statement: str, names: tuple[str, str] | None) -> None:
    found = [(c.claim.text, c.statement.text) for c in find_cues(claim, statement) if c.kind == "entity"]  # type: ignore[union-attr]
    assert found == ([names] if names else [])


@pytest.mark.parametrize(
    "claim, statement, words",
    [
        (
            "Schools in Rubavu remained open",
            "Rwanda ordered the temporary closure of schools in Rubavu.",
            ("open", "closure"),
        ),
        ("Fuel prices in Goma fell last week", "Fuel prices in Goma rose by 40 percent.", ("fell", "rose")),
        ("Remdesivir reduces mortality", "Remdesivir increased mortality in the trial.", ("reduces", "increased")),
        # both directions in the statement, or the same one: nothing to say
        ("Cases increased in March", "Deaths fell while cases increased in March.", None),
        ("Prices rose sharply", "Prices rose by 40 percent.", None),
    ],
)
def test_opposite_words(claim: str, statement: str, words: tuple[str, str] | None) -> None:
    found = [(c.claim.text, c.statement.text) for c in find_cues(claim, statement) if c.kind == "opposite"]  # type: ignore[union-attr]
    assert found == ([words] if words else [])


def test_a_date_cue_needs_the_same_event() -> None:
    claim = "The ceasefire was signed in 2019"
    assert [c.kind for c in find_cues(claim, "The ceasefire was finally signed in 2021.")] == ["date"]
    assert find_cues(claim, "In 2021 the country held elections, the commission said.") == []


@pytest.mark.parametrize(
    "claim, statement, restated",
    [
        # the statement's verb, in the claim's form; opposite or not
        (
            "Clashes between M23 and the army are growing",
            "Fresh clashes between M23 and the army intensify.",
            [("Clashes between M23 and the army are intensifying", False)],
        ),
        (
            "The fighting around Goma has eased",
            "M23 captured Goma in a stunning escalation of the conflict.",
            [("The fighting around Goma has escalated", True)],
        ),
        ("Fuel prices fell last week", "Fuel prices rose by 40 percent.", [("Fuel prices rose last week", True)]),
        ("Schools were closed", "Schools reopened on Monday.", [("Schools were reopened", True)]),
        ("Rising prices hurt families", "Soaring prices hurt families.", [("Soaring prices hurt families", False)]),
        # the same verb, both directions in the statement, or no verb of the axis: nothing to restate
        ("Prices rose sharply", "Prices rose by 40 percent.", []),
        ("Cases fell in June", "Cases rose in May but fell in June.", []),
        ("Cases increased in March", "The hospital opened a new ward in March.", []),
        # a movement to the claim's origin: the claim reversed, which is the opposite
        (
            "Refugees are fleeing from Rwanda into Congo",
            "The conflict has pushed Congolese refugees into Rwanda.",
            [("Refugees are fleeing from Congo into Rwanda", True)],
        ),
        (
            "Troops moved from Goma to Bukavu",
            "Troops were sent towards Goma on Monday.",
            [("Troops moved from Bukavu to Goma", True)],
        ),
        # the same way, or to both places: not reversed
        ("Refugees are fleeing from Congo into Rwanda", "The conflict has pushed Congolese refugees into Rwanda.", []),
        ("Flights from Paris to London were cut", "Flights to Paris and to London were cut.", []),
    ],
)
def test_restatements(claim: str, statement: str, restated: list[tuple[str, bool]]) -> None:
    assert restatements(claim, statement) == restated
