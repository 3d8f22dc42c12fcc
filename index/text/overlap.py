"""Content-word overlap between a claim and a statement: words without stopwords, compared by stem."""

import re

from factdesk.index.text.lexicon import STOPWORDS

STEM = 5  # letters that stand for a word's stem when words are compared: "captured" is in "capture"


SUFFIXES = re.compile(r"(?:ing|ed|es|s|e)$")


def stem(word: str) -> str:
    """A word without an inflection: "captured" and "capture" → "captur", "injuring" → "injur"."""
    bare = SUFFIXES.sub("", word) if len(word) > 4 else word
    return bare if len(bare) >= 3 else word


def content_words(text: str) -> list[str]:
    return [stem(w) for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1]


def has_stem(stems: set[str], stem: str) -> bool:
    """One stem is the other or starts it, from STEM letters on: "clos" (close) is in "closur" (closure)."""
    if stem in stems:
        return True
    return len(stem) >= STEM - 1 and any(
        len(other) >= STEM - 1 and (other.startswith(stem) or stem.startswith(other)) for other in stems
    )


def missing_share(claim: str, statement: str) -> float:
    """The share of the claim's content words that the statement lacks: a statement that entails a claim with
    none missing restates it, one that lacks a word may be agreeing with a claim that swapped it."""
    ours = content_words(claim)
    if not ours:
        return 0.0
    theirs = set(content_words(statement))
    return sum(not has_stem(theirs, w) for w in ours) / len(ours)
