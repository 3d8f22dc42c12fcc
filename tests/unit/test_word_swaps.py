import random
from collections import Counter

from factdesk.index.stance.labels import ENTAILMENT, NOT_ENTAILMENT
from factdesk.training.word_swaps import ending, make_word_swaps, swap_content_word

TEXT = (
    "Tests showed that the new drug brought significant reductions in the swelling, doctors said. "
    "Officials reported that the flooding damaged several bridges, while residents waited for help. "
    "The ministry announced new restrictions on travel, citing the rising number of infections. "
    "Researchers measured higher levels of antibodies in vaccinated patients, the study found."
)


def test_a_swap_replaces_one_content_word_with_another_of_its_ending() -> None:
    rng = random.Random(1)
    vocabulary = {"ed": ["damaged", "reported", "measured"], "s": ["bridges", "levels"], "ing": ["citing"]}
    vocabulary[""] = ["storm", "flood"]  # the words of no known ending: "that" would be one
    sentence = "Officials reported that the flooding damaged several bridges."
    for _ in range(20):
        swapped = swap_content_word(sentence, vocabulary, rng)
        assert swapped is not None
        edited, at = swapped
        old, new = sentence.split(), edited.split()
        changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
        assert len(changed) == 1  # one word, in place
        a, b = (w.rstrip(".") for w in changed[0])
        assert a[:4] != b[:4] and ending(a) == ending(b) and edited[at:].startswith(b)
        assert a not in ("that", "Officials")  # a function word or a name is never swapped


def test_a_sentence_without_a_content_word_of_a_known_ending_is_left() -> None:
    assert swap_content_word("He is in Goma.", {"ed": ["damaged"]}, random.Random(0)) is None


def test_swaps_and_unedited_clauses_come_in_equal_numbers() -> None:
    pairs = list(make_word_swaps([TEXT] * 30, seed=3, limit=200, clauses=0.7))
    labels = Counter(p["label"] for p in pairs)
    assert labels[ENTAILMENT] == labels[NOT_ENTAILMENT] == 100
    for p in pairs:
        assert p["source"] == "word_swaps" and p["hypothesis"] != p["premise"]
        if p["label"] == ENTAILMENT:  # an unedited clause: every word of it is in the sentence
            assert p["hypothesis"].rstrip(".") in p["premise"]
        else:  # the sentence or one of its clauses, one word in it replaced
            assert _differs_by_one_word(p["hypothesis"].rstrip("."), p["premise"].rstrip("."))


def _differs_by_one_word(hypothesis: str, premise: str) -> bool:
    h, words = [w.strip(",") for w in hypothesis.split()], [w.strip(",") for w in premise.split()]
    return any(
        sum(a.lower() != b.lower() for a, b in zip(h, words[i : i + len(h)], strict=True)) == 1
        for i in range(len(words) - len(h) + 1)
    )
