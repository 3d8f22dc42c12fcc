"""Content-word overlap between a claim and a statement: words without stopwords, compared by stem."""

import re

from factdesk.index.text.lexicon import SAYING, STOPWORDS

STEM = 5  # letters that stand for a word's stem when words are compared: "captured" is in "capture"


SUFFIXES = re.compile(r"(?:ing|ed|es|s|e)$")


def stem(word: str) -> str:
    """A word without an inflection: "captured" and "capture" → "captur", "injuring" → "injur"."""
    bare = SUFFIXES.sub("", word) if len(word) > 4 else word
    return bare if len(bare) >= 3 else word


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text) if w.lower() not in STOPWORDS and len(w) > 1]


def content_words(text: str) -> list[str]:
    return [stem(w.lower()) for w in _words(text)]


def has_stem(stems: set[str], stem: str) -> bool:
    """One stem is the other or starts it, from STEM letters on: "clos" (close) is in "closur" (closure)."""
    if stem in stems:
        return True
    return len(stem) >= STEM - 1 and any(
        len(other) >= STEM - 1 and (other.startswith(stem) or stem.startswith(other)) for other in stems
    )


def missing_share(claim: str, statement: str) -> float:
    """The share of the claim's content words that the statement lacks: a statement that entails a claim with
    none missing restates it, one that lacks a word may be agreeing with a claim that swapped it. A claim's verb of
    saying (SAYING) is in a statement that has one too."""
    ours = _words(claim)
    if not ours:
        return 0.0
    words = _words(statement)
    theirs = {stem(w.lower()) for w in words}
    says = any(w in SAYING for w in words)  # in lower case: "States" is a name
    return sum(not (says and w in SAYING) and not has_stem(theirs, stem(w.lower())) for w in ours) / len(ours)


# a statement whose subject refers back to a name in the sentence before it: "The group declared control over the
# city" after "Meanwhile, M23 rebels have captured Goma"
REFERS_BACK = re.compile(
    r"^(?:(?:Meanwhile|However|But|And|Later|Earlier|Previously|Instead),?\s+)?(?:He|She|They|It|His|Her|Their|Its"
    r"|(?:The|This|That|These|Those) (?:group|rebels?|militia|movement|army|forces?|government|administration|"
    r"company|firm|agency|organi[sz]ation|ministry|president|minister|officials?|spokesperson|spokesman|party|"
    r"country|city|court|study|report|team|researchers|scientists|authors|leaders?))\b"
)
NAME = re.compile(r"\b(?:[A-Z][\w’'-]*|\w*\d\w*)")


def with_referent(statement: str, context: str | None) -> str:
    """The statement, with the names of the sentence before it where its subject refers back to one: the words a
    claim may name that the statement says as "the group" or "he"."""
    if not context or not REFERS_BACK.match(statement):
        return statement
    return f"{statement} {' '.join(NAME.findall(context))}"
