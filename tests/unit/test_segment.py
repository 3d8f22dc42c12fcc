import pytest

from factdesk.index.ingest.articles import Article
from factdesk.index.ingest.segment import checkworthiness, find_speaker, reported_content, split_article


def test_offsets_are_exact_on_the_seed(seed_article: Article) -> None:
    statements = split_article(seed_article.text)
    assert len(statements) == 18
    for i, s in enumerate(statements):
        assert seed_article.text[s.start : s.end] == s.text
        assert s.position == i
        assert s.context == (statements[i - 1].text if i else None)
        assert 0.0 <= s.checkworthiness <= 1.0


def test_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Brigadier-General Ronald Rwivanga spoke. Gen. Smith arrived in the U.S. Army base on Monday. Dr. J. Doe left."
    )
    assert [s.text for s in split_article(text)] == [
        "Brigadier-General Ronald Rwivanga spoke.",
        "Gen. Smith arrived in the U.S. Army base on Monday.",
        "Dr. J. Doe left.",
    ]


def test_quotes_spanning_sentence_ends_stay_whole() -> None:
    text = "“We will fight. We will not stop,” the commander said. Then he left."
    assert [s.text for s in split_article(text)] == [
        "“We will fight. We will not stop,” the commander said.",
        "Then he left.",
    ]


def test_unbalanced_quotes_fall_back_to_plain_splitting() -> None:
    text = "He said “no. Then he left. Nobody followed."
    assert len(split_article(text)) == 3


def test_paragraphs_always_end_a_sentence() -> None:
    text = "A headline without a full stop\n\nThe body starts here. It goes on"
    statements = split_article(text)
    assert [s.text for s in statements] == ["A headline without a full stop", "The body starts here.", "It goes on"]
    assert all(text[s.start : s.end] == s.text for s in statements)


def test_speakers_of_quotes_and_reported_speech(seed_article: Article) -> None:
    speakers = {s.position: s.speaker for s in split_article(seed_article.text)}
    assert speakers[0] == "Rwandan President Paul Kagame"
    assert speakers[1] == "Kagame"  # “...,” Kagame stated.
    assert speakers[4] == "Rwanda’s The New Times"  # according to
    assert speakers[5] == "RDF spokesperson Brigadier-General Ronald Rwivanga"  # accused
    assert speakers[16] == "Kagame"  # “...,” he stated — the previous speaker
    assert speakers[9] is None  # a plain report


def test_pronoun_without_antecedent_has_no_speaker() -> None:
    assert find_speaker("“It is over,” he said.") is None
    assert find_speaker("“It is over,” he said.", "Ruto") == "Ruto"


def test_checkworthiness_prefers_concrete_facts() -> None:
    fact = checkworthiness("At least two bombs landed in Mbugangari on Monday, injuring 15 civilians.", None)
    opinion = checkworthiness("All eyes are now on whether diplomacy can prevail.", None)
    question = checkworthiness("Will the ceasefire hold?", None)
    assert fact > 0.7 > opinion
    assert question <= 0.2


@pytest.mark.parametrize(
    "sentence, content",
    [
        (
            "The Kanyabayonga bridge was destroyed on Sunday, officials said.",
            "The Kanyabayonga bridge was destroyed on Sunday.",
        ),
        (
            "Reports indicate that the RDF have deployed air defence systems.",
            "The RDF have deployed air defence systems.",
        ),
        ("According to The New Times, two bombs landed in Mbugangari.", "Two bombs landed in Mbugangari."),
        ("Prices rose by 5% last year, the statistics office said in a statement.", "Prices rose by 5% last year."),
        ("The minister said that the talks would resume on Monday.", "The talks would resume on Monday."),
        ("“We will win,” Kagame stated.", None),  # a quotation keeps its own words
        ("The group declared control over the city.", None),
        ("Not yet, officials said.", None),  # nothing left worth judging
        ("Rebels have captured Bukavu, the army denied.", None),  # a denial does not assert what it denies
    ],
)
def test_reported_content_drops_the_frame(sentence: str, content: str | None) -> None:
    assert reported_content(sentence) == content
