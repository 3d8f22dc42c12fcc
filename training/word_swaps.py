"""One content word of a news sentence replaced by another word of the same form, as a two-way NLI pair: a claim
that says something the sentence does not ("the drug reduced the swelling" → "... prevented ...", "treatment" →
"production") is not entailed by it, however many of its words the sentence shares. The replacement is drawn
from the words of the texts, weighted by how often they occur and of the same ending (-ed, -ing, -tion, ...), so
the edited sentence still reads as a sentence; whether it then contradicts the original or only says something
else, the label is `not_entailment`. As many pairs again are the sentence's clause unedited
(entailment), so neither a short hypothesis nor a shared wording says anything of the label. Only premises from
the training split are edited, so nothing here leaks into the held-out slice."""

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from factdesk.index.stance.labels import ENTAILMENT, NOT_ENTAILMENT
from factdesk.index.text.lexicon import STOPWORDS
from factdesk.training.news_edits import clause_around
from factdesk.training.synthetic import sentences_of

_WORD = re.compile(r"\b[a-z]{4,}\b")


# endings that keep a replacement in the same part of speech and inflection, tried in this order
_ENDINGS = ("tion", "sion", "ment", "ness", "ity", "ing", "ed", "ly", "ive", "ous", "al", "ic", "s")


# words whose replacement changes the grammar or nothing a claim asserts: the stopwords and these
_FUNCTION = STOPWORDS | frozenset(
    "them what when where which while whom whose within without into onto upon over under about after before during "
    "since until also just only very more most much many some such other others another each every both either "
    "neither having will would could should shall might must doing done said says told according".split()
)


def ending(word: str) -> str:
    return next((e for e in _ENDINGS if word.endswith(e)), "")


def vocabulary_by_ending(documents: list[list[str]]) -> dict[str, list[str]]:
    """Content words by ending, each as often as it occurs (so a draw is weighted by frequency)."""
    words: dict[str, list[str]] = defaultdict(list)
    for sentences in documents:
        for sentence in sentences:
            for w in _WORD.findall(sentence):
                if w not in _FUNCTION:
                    words[ending(w)].append(w)
    return words


def swap_content_word(sentence: str, vocabulary: dict[str, list[str]], rng: random.Random) -> tuple[str, int] | None:
    """The sentence with one lower-case content word replaced by another of its ending, and where the word
    starts; None when the sentence has no such word. A replacement sharing the word's first four letters is
    refused: "reduced" → "reduces" is the same claim."""
    options = [m for m in _WORD.finditer(sentence) if m.group() not in _FUNCTION]
    rng.shuffle(options)
    for m in options[:3]:
        pool = vocabulary.get(ending(m.group()))
        for _ in range(5 if pool else 0):
            new = rng.choice(pool)
            if new[:4] != m.group()[:4]:
                return sentence[: m.start()] + new + sentence[m.end() :], m.start()
    return None


def make_word_swaps(
    texts: Iterable[str], seed: int = 19, limit: int = 8000, clauses: float = 0.7
) -> Iterator[dict[str, str]]:
    """Up to `limit` pairs: as many with a word swapped (not_entailment: the sentence, or at the rate `clauses` only
    the clause that holds the new word, the length real claims have) as that clause unedited (entailment)."""
    rng = random.Random(seed)
    documents = [d for d in (sentences_of(t) for t in texts) if d]
    vocabulary = vocabulary_by_ending(documents)
    made = Counter[str]()
    for _ in range(3):  # another word of the same sentences on each pass
        rng.shuffle(documents)
        for sentences in documents:
            for sentence in sentences:
                if made.total() >= limit:
                    return
                swapped = swap_content_word(sentence, vocabulary, rng)
                if swapped is None:
                    continue
                edited, at = swapped
                if made[NOT_ENTAILMENT] <= made[ENTAILMENT]:
                    # the whole sentence or, at the rate `clauses`, the clause that holds the new word
                    hypothesis = clause_around(edited, at, at + 1) if rng.random() < clauses else edited
                    label = NOT_ENTAILMENT
                else:
                    # that clause unedited, as long as an edited one (the sentence itself would be a trivial pair)
                    hypothesis, label = clause_around(sentence, at, at + 1), ENTAILMENT
                if hypothesis:
                    made[label] += 1
                    yield {"premise": sentence, "hypothesis": hypothesis, "label": label, "source": "word_swaps"}
