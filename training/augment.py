"""Pairs next to the training pairs, for a teacher alone to label: one content word of a pair's hypothesis, or of
its premise, replaced by another word of the same ending ("the man is sleeping" → "the man is cooking"), as
`word_swaps` edits news sentences. Such an edit may leave the label as it was or change it either way, which no
rule can tell; the teacher's probabilities are the only target a distilled student learns on them, so it learns
the teacher's reading where the gold pairs say nothing, the kind of edit the VitaminC revisions are made of. Only
training pairs are edited, so nothing here leaks into the held-out slice."""

import random
from collections.abc import Sequence

from factdesk.training.stance_data import TAUGHT, Pair
from factdesk.training.word_swaps import swap_content_word, vocabulary_by_ending

# a premise longer than this is a document: one word of it rarely changes what it says of the hypothesis
_SHORT_PREMISE = 60


def make_augmented(pairs: Sequence[Pair], size: int, seed: int = 29) -> list[Pair]:
    """`size` edited copies of pairs drawn at random, half with a word of the hypothesis replaced and half (where
    the premise is a passage, not a document) a word of the premise; label `TAUGHT`, source `augmented`."""
    rng = random.Random(seed)
    sample = rng.sample(range(len(pairs)), min(len(pairs), 20000))
    vocabulary = vocabulary_by_ending([[pairs[i]["premise"], pairs[i]["hypothesis"]] for i in sample])
    made: list[Pair] = []
    for _ in range(3):  # another word of the same pairs on each pass
        order = list(range(len(pairs)))
        rng.shuffle(order)
        for i in order:
            if len(made) >= size:
                return made
            pair = pairs[i]
            side = "hypothesis"
            if len(made) % 2 and len(pair["premise"].split()) <= _SHORT_PREMISE:
                side = "premise"
            swapped = swap_content_word(pair[side], vocabulary, rng)
            if swapped is not None:
                made.append(pair | {side: swapped[0], "label": TAUGHT, "source": "augmented"})
    return made
