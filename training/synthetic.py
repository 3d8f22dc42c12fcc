"""Rule-based NLI pairs made from real news sentences (FactCC-style edits).

Each edit of a premise sentence yields a labelled hypothesis:

- number swap, date swap, entity swap, negation → contradiction
- dropping a trailing clause or an attribution ("According to X, ...") → entailment
- another sentence of the same text → neutral

`training.news_edits.make_news_edits` adds the edits real claims make of news sentences (antonyms, direction,
synonyms, reported speech and hedged reports).

Only premises from the training split are edited, so nothing here leaks into the held-out slice.
"""

import random
import re
from collections.abc import Iterable, Iterator

from factdesk.index.stance.labels import CONTRADICTION, ENTAILMENT, NEUTRAL

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})*(?:\.\d+)?\b")


YEAR = re.compile(r"\b(19[5-9]\d|20[0-3]\d)\b")


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


_AUX = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|did|does|do)\b")


_NEGATED = re.compile(r"\b(not|no|never|n't|without)\b", re.IGNORECASE)


NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?)\b")


_ATTRIBUTION = re.compile(r"^(?:According to [^,]{3,60}|[A-Z][^,]{2,40} said),\s+(.+)$")


def sentences_of(text: str) -> list[str]:
    """Sentences of 8–40 words from a text, whitespace collapsed."""
    text = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(text) if 8 <= len(s.split()) <= 40]


def swap_number(sentence: str, rng: random.Random) -> str | None:
    matches = list(NUMBER.finditer(sentence))
    if not matches:
        return None
    m = rng.choice(matches)
    value = float(m.group().replace(",", ""))
    new = value * rng.choice((2, 3, 5, 10)) if value < 10 else value * rng.choice((0.2, 0.5, 2, 3))
    text = f"{int(new):,}" if new >= 1 or value >= 1 else f"{new:g}"
    if text == m.group():
        return None
    return sentence[: m.start()] + text + sentence[m.end() :]


def swap_date(sentence: str, rng: random.Random) -> str | None:
    for names in (_MONTHS, _WEEKDAYS):
        found = [n for n in names if re.search(rf"\b{n}\b", sentence)]
        if found:
            old = rng.choice(found)
            new = rng.choice([n for n in names if n != old])
            return re.sub(rf"\b{old}\b", new, sentence, count=1)
    m = YEAR.search(sentence)
    if m:
        year = int(m.group()) + rng.choice((-3, -2, -1, 1, 2, 3))
        return sentence[: m.start()] + str(year) + sentence[m.end() :]
    return None


def _negate(sentence: str, rng: random.Random) -> str | None:
    if _NEGATED.search(sentence):
        # Remove the negation instead: still a contradiction of the premise.
        out = re.sub(r"\b(not|never) ", "", sentence, count=1)
        out = re.sub(r"n't\b", "", out, count=1)
        return out if out != sentence else None
    m = _AUX.search(sentence)
    if not m:
        return None
    return sentence[: m.end()] + " not" + sentence[m.end() :]


def _swap_entity(sentence: str, names: list[str], rng: random.Random) -> str | None:
    found = NAME.findall(sentence)
    if not found or len(names) < 2:
        return None
    old = rng.choice(found)
    new = rng.choice(names)
    if new == old or new in sentence:
        return None
    return sentence.replace(old, new, 1)


def _entailed(sentence: str) -> str | None:
    m = _ATTRIBUTION.match(sentence)
    if m:
        rest = m.group(1)
        return rest[0].upper() + rest[1:]
    head, sep, _ = sentence.rpartition(", ")
    if sep and len(head.split()) >= 6:
        return head.rstrip(",;:") + "."
    return None


def make_pairs(texts: Iterable[str], seed: int = 13, limit: int = 8000) -> Iterator[dict[str, str]]:
    """Yield up to `limit` synthetic `{premise, hypothesis, label, source}` pairs from news texts."""
    rng = random.Random(seed)
    documents = [sentences_of(t) for t in texts]
    documents = [d for d in documents if d]
    names = sorted({n for d in documents for s in d for n in NAME.findall(s)})
    contradicting = (
        swap_number,
        swap_date,
        _negate,
        lambda s, r: _swap_entity(s, names, r),
    )
    rng.shuffle(documents)
    made = 0
    for sentences in documents:
        for premise in sentences:
            if made >= limit:
                return
            roll = rng.random()
            if roll < 0.5:
                edit = rng.choice(contradicting)
                hypothesis, label = edit(premise, rng), CONTRADICTION
            elif roll < 0.75:
                hypothesis, label = _entailed(premise), ENTAILMENT
            else:
                others = [s for s in sentences if s != premise]
                hypothesis = rng.choice(others) if others else None
                label = NEUTRAL
            if hypothesis and hypothesis != premise:
                made += 1
                yield {"premise": premise, "hypothesis": hypothesis, "label": label, "source": "synthetic"}
