import pytest

from factdesk.index.text.frames import DENIED, MAX_ASIDES, PASSED_ON, Framed, appositions, frame_of, framed


@pytest.mark.parametrize(
    "statement, expected",
    [
        (
            "The embassy dismissed claims that M23 rebels had captured Goma, calling them fake.",
            Framed(DENIED, "M23 rebels had captured Goma."),  # without the clause after it
        ),
        ("The army denied that rebels had crossed the border.", Framed(DENIED, "Rebels had crossed the border.")),
        (
            "There is no evidence that the bombs were fired from Goma.",
            Framed(DENIED, "The bombs were fired from Goma."),
        ),
        ("He falsely claimed that the election was rigged.", Framed(DENIED, "The election was rigged.")),
        ("Officials rejected the false report that Kagame had resigned.", Framed(DENIED, "Kagame had resigned.")),
        ("It is not true that schools in Rubavu are closed.", Framed(DENIED, "Schools in Rubavu are closed.")),
        ("Rebels have captured Bukavu, the army denied.", Framed(DENIED, "Rebels have captured Bukavu.")),
        (
            "A post shared on Facebook claims that the border at Rubavu is closed.",
            Framed(PASSED_ON, "The border at Rubavu is closed."),
        ),
        (
            "The comments followed a report on social media that claimed that Goma had fallen overnight.",
            Framed(PASSED_ON, "Goma had fallen overnight."),
        ),
        ("The vaccine causes infertility, a viral post claimed.", Framed(PASSED_ON, "The vaccine causes infertility.")),
    ],
)
def test_a_frame_that_does_not_assert_its_content_is_found(statement: str, expected: Framed) -> None:
    found = framed(statement)
    assert found is not None and (found.kind, found.content) == (expected.kind, expected.content)


@pytest.mark.parametrize(
    "statement",
    [
        "The bridge was destroyed on Sunday, officials said.",  # reported speech asserts its content
        "Rwanda backs M23, the UN alleged.",  # an allegation by a named party is read as it stands
        "Kagame claimed that Rwanda had been attacked.",
        "The army denied the reports.",  # nothing left that is denied
        "Rebels rejected the ceasefire on Monday.",
        "Each voter signs the envelope, or the ballot will be rejected.",  # passive: nobody denies the signing
        "He dismissed suggestions that he wear a mask.",  # a request, not a claim
    ],
)
def test_statements_that_assert_or_name_a_party_have_no_frame(statement: str) -> None:
    assert framed(statement) is None


def test_a_claim_about_what_a_post_says_is_read_against_the_post_as_it_stands() -> None:
    post = "A post shared on Facebook claims that the border at Rubavu is closed."
    assert frame_of("A Facebook post claims the border at Rubavu is closed", post) is None
    assert frame_of("The border at Rubavu is closed", post) == framed(post)
    denial = "Officials denied that the border at Rubavu is closed."
    assert frame_of("Officials denied that the border is closed", denial) is None
    assert frame_of("A Facebook post claims the border at Rubavu is closed", denial) == framed(denial)


def test_a_frame_is_shown_as_a_reason_where_its_words_are() -> None:
    statement = "The embassy dismissed claims that M23 rebels had captured Goma, calling them fake."
    found = framed(statement)
    assert found is not None
    cue = found.cue(statement)
    assert cue.kind == DENIED and cue.statement is not None and cue.statement.text == "dismissed claims that"
    assert cue.detail == "the statement denies: “M23 rebels had captured Goma.”"
    trailing = "The vaccine causes infertility, a viral post claimed."
    found = framed(trailing)
    assert found is not None
    cue = found.cue(trailing)
    assert cue.kind == PASSED_ON and cue.statement is not None and cue.statement.text == "a viral post claimed"


@pytest.mark.parametrize(
    "claim, statement, expected",
    [
        (
            "Goma is the capital of South Kivu",
            "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu, in a stunning escalation.",
            [("Goma is the capital of North Kivu.", "Goma, the capital of North Kivu")],
        ),
        (
            "Kagame was the president of Kenya.",
            "The summit was called by Paul Kagame, the president of Rwanda.",  # at the end, a longer name
            [("Kagame was the president of Rwanda.", "Paul Kagame, the president of Rwanda")],
        ),
        # nothing in common with what the claim says the name is
        ("Goma is a city in Rwanda", "M23 rebels have captured Goma, the capital of North Kivu, on Monday.", []),
        # another name that ends alike, a claim that says no more than what a name does, an aside of two sentences
        ("Chloroquine is a toxic drug", "Hydroxychloroquine, a less toxic drug, was tried.", []),
        ("Goma fell to M23 rebels", "M23 rebels have captured Goma, the capital of North Kivu, on Monday.", []),
        ("Caesar was the father of a daughter", "Gaius Julius Caesar, the dictator. He had a daughter.", []),
    ],
)
def test_what_a_statement_says_of_a_name_in_passing_is_read_against_a_claim_of_what_it_is(
    claim: str, statement: str, expected: list[tuple[str, str]]
) -> None:
    found = appositions(claim, statement)
    assert [aside.text for aside in found] == [text for text, _ in expected]
    assert [statement[slice(*aside.span)] for aside in found] == [said for _, said in expected]  # where it is said


def test_a_statement_gives_its_first_few_distinct_asides() -> None:
    statement = (
        "Goma, the capital of North Kivu, and Goma, the capital of North Kivu, and Goma, the capital city of Kivu, "
        "and Goma, the old capital of Kivu, met."
    )
    found = [aside.text for aside in appositions("Goma is the capital of South Kivu", statement)]
    assert found == ["Goma is the capital of North Kivu.", "Goma is the capital city of Kivu."][:MAX_ASIDES]
