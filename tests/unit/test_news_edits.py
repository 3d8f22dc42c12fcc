import random
import re

from factdesk.index.stance.labels import CONTRADICTION, ENTAILMENT, NEUTRAL
from factdesk.training.news_edits import edited_clause, make_news_edits, other_year_figure, rounded_number

SENTENCE = "Fresh clashes between M23 and the army intensify near Goma, officials said, as thousands flee the city."


def test_the_edited_clause_stands_as_a_claim() -> None:
    edited = SENTENCE.replace("intensify", "ease")
    assert edited_clause(SENTENCE, edited) == "Fresh clashes between M23 and the army ease near Goma."


def test_a_clause_without_a_subject_or_the_whole_sentence_is_refused() -> None:
    tail = "The fund grew quickly last year, which has reached a market value of $750,000."
    assert edited_clause(tail, tail.replace("750,000", "1,500,000")) is None  # "Which has reached ..."
    short = "Prices rose by 5 percent in the city."
    assert edited_clause(short, short.replace("rose", "fell")) is None  # one clause: nothing to cut
    assert edited_clause(SENTENCE, SENTENCE) is None


def test_clauses_shorten_swaps_only_when_asked() -> None:
    texts = [SENTENCE + " Residents said the road to Sake was cut off on Monday, while aid convoys waited."] * 40
    whole = list(make_news_edits(texts, seed=3, limit=200))
    assert whole == list(make_news_edits(texts, seed=3, limit=200, clauses=0.0))
    cut = list(make_news_edits(texts, seed=3, limit=200, clauses=1.0))
    short = [p for p in cut if p["label"] == CONTRADICTION and len(p["hypothesis"]) < 0.8 * len(p["premise"])]
    assert short and all(p["hypothesis"].endswith(".") and p["hypothesis"][0].isupper() for p in short)
    assert max(len(p["hypothesis"]) for p in whole) > max(len(p["hypothesis"]) for p in short)


def test_same_name_neutrals_pair_two_facts_about_one_subject() -> None:
    text = (
        "Charlotta Bass was an American educator and newspaper publisher in Los Angeles for forty years. "
        "In 1952 the party chose Charlotta Bass to run for vice president of the United States. "
        "The city council met on Monday to discuss the budget for the coming year."
    )
    pairs = list(make_news_edits([text] * 60, seed=5, limit=300, same_name=1.0))
    related = [p for p in pairs if p["label"] == NEUTRAL and "Bass" in p["premise"] and "Bass" in p["hypothesis"]]
    assert related and all(p["premise"].rstrip(".") not in p["hypothesis"] for p in related)
    plain = list(make_news_edits([text] * 60, seed=5, limit=300))
    assert len(related) > sum(
        p["label"] == NEUTRAL and "Bass" in p["hypothesis"] for p in plain if "Bass" in p["premise"]
    )


def test_a_rounded_figure_is_hedged_and_a_small_count_is_left_exact() -> None:
    rng = random.Random(0)
    rounded = rounded_number("The report estimates the 1960 urban population at 6.96 million.", rng)
    assert rounded is not None and re.search(r"(about|approximately|around|nearly) 7 million\.$", rounded)
    assert "1960" in rounded  # a year is not a figure to round
    assert rounded_number("Police arrested 12 people in 2019.", rng) is None  # 10 is not "about 12"
    assert rounded_number("About 1,234 people fled.", rng) is None  # hedged already


def test_numbers_add_rounded_entailments_and_other_year_neutrals_only_when_asked() -> None:
    text = (
        "Officials said 1,234 people were displaced in 2019 across the province, many of them children. "
        "The agency estimated the cost of the damage at $4.37 billion, the highest figure on record."
    )
    plain = list(make_news_edits([text] * 60, seed=7, limit=300))
    assert plain == list(make_news_edits([text] * 60, seed=7, limit=300, numbers=0.0))
    pairs = list(make_news_edits([text] * 60, seed=7, limit=300, numbers=1.0))
    hedged = [
        p for p in pairs if p["label"] == ENTAILMENT and re.search(r"\b(about|nearly|more than) ", p["hypothesis"])
    ]
    assert hedged and all(p["premise"] != p["hypothesis"] for p in hedged)
    other_year = [
        p for p in pairs if p["label"] == NEUTRAL and "2019" in p["premise"] and "2019" not in p["hypothesis"]
    ]
    assert other_year and all("1,234" not in p["hypothesis"] for p in other_year)


def test_other_year_figure_scales_a_figure_never_a_second_year() -> None:
    sentence = "Exports rose from 2019 to 2021 by 1,234 tonnes, the ministry said."
    for seed in range(40):
        changed = other_year_figure(sentence, random.Random(seed))
        m = re.fullmatch(r"Exports rose from (\d{4}) to 2021 by ([\d,.]+) tonnes, the ministry said\.", changed or "")
        assert m and m.group(1) != "2019" and m.group(2) != "1,234", changed
