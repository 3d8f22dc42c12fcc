import pytest

from factdesk.index.text.cues import CLAIM_FIGURES, READ_CHARS, find_cues, quantities
from factdesk.index.text.restate import MAX_RESTATEMENTS, restatements

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


def test_number_cues_read_shares_sums_rounding_and_bounds() -> None:
    assert kinds("Imports from China rose by 27 per cent", "Imports from China rose by 31% this year.") == ["number"]
    assert kinds("The appeal raised $5 million", "The appeal raised $ 6.2 million.") == ["number"]
    # a bare figure may have been rounded from the statement's; a bound leaves out its own figure
    assert kinds("Nigeria had 45 million people at independence", "It had 45.1 million people in 1960.") == []
    assert kinds("The army lost more than 64 vehicles", "The army lost 64 vehicles.") == ["number"]
    # a share in words is a share: "forty percent" against "55%"
    assert kinds("Forty percent of voters backed him", "55% of voters backed him.") == ["number"]
    assert kinds("Forty per cent of voters backed him", "40% of voters backed him.") == []
    assert kinds("Forty percent of voters backed him", "42% of voters backed him.") == []  # as round as "40"


def test_quantities_read_words_scales_and_percentages() -> None:
    q = {x.span.text: (x.low, x.high) for x in quantities("Some 1,200 people, 3.5 million dollars and 40% of voters")}
    assert q["Some 1,200 people"] == (1020.0, 1380.0)
    assert q["3.5 million dollars"] == (3.5e6, 3.5e6)
    assert q["40% of voters"] == (40.0, 40.0)
    words = {x.span.text: (x.low, sorted(x.units)) for x in quantities("A dozen people and twenty percent of voters")}
    assert words == {"A dozen people": (12, ["person"]), "twenty percent of voters": (20, ["%"])}
    (rate,) = quantities("so a .02% infection rate")
    assert (rate.low, rate.units) == (0.02, {"%"})


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
        # who won or lost: only of the same party
        ("M23 rebels lost control of Goma", "M23 rebels have captured Goma.", ("lost", "captured")),
        ("The army lost control of Bukavu", "Rebels seized Bukavu on Sunday.", None),
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
        # who won or lost: the opposite only of the same party, named before both verbs
        (
            "M23 rebels lost control of Goma",
            "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu.",
            [("M23 rebels captured control of Goma", True)],
        ),
        ("Trump lost the election", "Trump won the election.", [("Trump won the election", True)]),
        ("The army lost control of Bukavu", "Rebels seized Bukavu on Sunday.", []),
        ("M23 captured Goma", "The army lost Goma to M23.", []),
        ("Biden won the election", "Trump lost the election.", []),
        ("The town was captured by M23", "The town was lost in June.", []),  # who lost it is after the verb
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


@pytest.mark.parametrize(
    "claim, statement, restated",
    [
        # the statement's figure for the same measure, within the claim's bounds or outside them (the opposite)
        (
            "More than 100,000 people fled Goma",
            "Aid agencies said 112,000 people fled Goma in a week.",
            [("112,000 people fled Goma", False)],
        ),
        (
            "Fewer than 2,000 people fled Goma",
            "Aid agencies said 2,208 people fled Goma in a week.",
            [("2,208 people fled Goma", True)],
        ),
        # a bound leaves out its own figure; "at least" does not
        ("The army lost more than 64 vehicles", "The army lost 64 vehicles.", [("The army lost 64 vehicles", True)]),
        ("The army lost at least 64 vehicles", "The army lost 64 vehicles.", [("The army lost 64 vehicles", False)]),
        # the currency travels with the figure; the unit may be a word around the other figure
        (
            "The appeal raised less than $5 million",
            "The appeal has raised $ 6.2 million so far.",
            [("The appeal raised $ 6.2 million", True)],
        ),
        (
            "The stadium holds over 60,000 people",
            "The stadium has a capacity of 45,000 people.",
            [("The stadium holds 45,000 people", True)],
        ),
        (
            "The city's urban population is under 190,000",
            "It has an urban population of 193,658 and a metropolitan population of 239,842.",
            [("The city's urban population is 193,658", True)],
        ),
        # a bare figure is left to the model and the number cue
        ("About 50 civilians were injured in Rubavu", BOMBS, []),
        ("At independence the country had 45 million people", "The census counted 45.1 million people.", []),
        # the claim's own figure is there, or the figures count different things: nothing to restate
        ("The agency expects 12,500 deaths by June", "It expects 12,500 deaths (range 8,000 to 19,000) by June.", []),
        ("For 29 of its 60 years the country was under military rule", "It spent 29 years under military rule.", []),
        ("68 per cent of patients improved", "Of 53 patients, 36 improved.", []),
        ("About 15 civilians were injured in Rubavu", BOMBS, []),
        ("A 53-year-old man died in Goma", "A 71-year-old woman was hurt; a 53-year-old man died in Goma.", []),
        ("Ten soldiers were killed", "The convoy of 40 trucks reached Goma.", []),
        # days of months, names with figures, scores and "one" are no counts
        ("M23 took Goma on 23 January", "M23 took Goma on 27 January.", []),
        ("The score was 2-2", "The match ended 1–2.", []),
        ("What one man saw in Goma", "Two men saw it in Goma.", []),
    ],
)
def test_figure_restatements(claim: str, statement: str, restated: list[tuple[str, bool]]) -> None:
    assert restatements(claim, statement) == restated


def test_quantities_keep_the_figure_apart_from_its_unit_and_leave_out_names_and_days() -> None:
    (q,) = quantities("The fund lost more than $ 3 million in March")
    assert (q.figure.text, q.low > 3e6, q.high, sorted(q.units)) == ("more than $ 3 million", True, float("inf"), ["$"])
    assert quantities("M23 rebels entered Goma on 27 January") == []


@pytest.mark.parametrize(
    "claim, statement, restated",
    [
        # the year the statement dates the same event in, within the claim's bound or outside it (the opposite)
        (
            "The bridge was opened before 2015",
            "The bridge was opened in March 2013.",
            [("The bridge was opened in March 2013", False)],
        ),
        (
            "The bridge was opened before 2015",
            "The bridge was opened in 2015.",
            [("The bridge was opened in 2015", True)],
        ),
        (
            "After 2010, the ministry moved to Goma",
            "The ministry moved to Goma in 2008.",
            [("In 2008, the ministry moved to Goma", True)],
        ),
        # the year of another event, a span or a range is not the event's: "since 2010's" dates the earlier album
        (
            "The album was released after 2015",
            "Released on 18 October 2016, the album is the band's first since 2010's Tour.",
            [("The album was released in October 2016", False)],
        ),
        # a bound to the month, and a date that falls within it only in part
        (
            "The bridge was opened before March 2018",
            "It was opened in late February 2018.",
            [("The bridge was opened in February 2018", False)],
        ),
        (
            "Work on the road will start after May 2019",
            "Work on the road will start in December 2018.",
            [("Work on the road will start in December 2018", True)],
        ),
        # the event's date rather than the report's beside the subject's name; names still tell two events apart
        (
            "Kabila resigned after February 2018",
            "On March 4, 2018, Kabila said on the radio that he had resigned in late February 2018.",
            [("Kabila resigned in February 2018", True)],
        ),
        (
            "Jones won before 2012",
            "Smith won the seat in 2010, a decade before the long and bitter contest in which Jones won it back in 2020.",
            [("Jones won in 2020", True)],
        ),
        ("The bridge was opened after February 2005", "The bridge was opened in 2005.", []),
        ("The bridge was opened before 2015", "Trade across the border has grown since 2009.", []),
        ("The bridge was opened before 2015", "Work on the bridge ran from 2009 to 2016.", []),
        # a decade, a range or a name is no bound
        ("The bridge was opened after the 2005-06 season", "The bridge was opened in 2004.", []),
        ("Kidney damage may follow after 2019-nCoV infection", "Kidney damage was seen in 2020.", []),
    ],
)
def test_date_restatements(claim: str, statement: str, restated: list[tuple[str, bool]]) -> None:
    assert restatements(claim, statement) == restated


def test_a_date_within_the_claims_bound_is_no_date_cue() -> None:
    claim = "The ceasefire was signed before 2020"
    assert find_cues(claim, "The ceasefire was finally signed in 2019.") == []
    assert [c.kind for c in find_cues(claim, "The ceasefire was finally signed in 2021.")] == ["date"]
    claim = "The ceasefire was signed before March 2020"
    assert find_cues(claim, "The ceasefire was finally signed in February 2020.") == []
    assert [c.kind for c in find_cues(claim, "The ceasefire was finally signed in April 2020.")] == ["date"]


def test_a_statement_is_read_in_its_first_characters_and_a_claim_in_its_first_figures() -> None:
    claim, said = "More than ten civilians were injured", "About 15 civilians were injured."
    filler = "The talks went on. " * (READ_CHARS // 19 + 1)
    assert restatements(claim, said + " " + filler) == [("About 15 civilians were injured", False)]
    assert restatements(claim, filler + said) == [] and kinds("About 50 civilians were injured", filler + said) == []
    fruit = "apples pears plums figs limes kiwis melons grapes lemons cherries".split()
    cues = find_cues(", ".join(f"3 {f}" for f in fruit), ", ".join(f"4 {f}" for f in fruit))
    assert [c.claim.text for c in cues if c.claim] == [f"3 {f}" for f in fruit[:CLAIM_FIGURES]]
    # each restatement is a pair the model reads: a claim of many verbs gets the first few
    many = restatements("Prices rose, wages rose, rents rose, fares rose and taxes rose", "Prices fell.")
    assert len(many) == MAX_RESTATEMENTS and many[0] == (
        "Prices fell, wages rose, rents rose, fares rose and taxes rose",
        True,
    )
