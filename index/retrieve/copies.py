"""Wire copies: the same statement in several articles (one story under many outlets, lightly edited) read as one
evidence item, so that copies of one story do not fill a check's evidence."""

import re
from collections.abc import Sequence

import numpy as np

from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.storage.vectors import VectorBackend
from factdesk.index.text.cues import find_cues

# candidates per evidence item looked at for wire copies: copies of one story would otherwise fill the top_k
COPY_POOL = 3
# two statements are one lightly edited sentence when their vectors are this close, their words overlap this much
# (Jaccard) and nothing tells them apart: no cue either way, the same figures; chosen in docs/benchmarks.md
NEAR_COPY = 0.95
COPY_OVERLAP = 0.6
FIGURES = re.compile(r"\d+(?:[.,]\d+)*")


def normalised(text: str) -> str:
    """Text compared for copies: case, punctuation and spacing aside."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _ordinary_case(text: str) -> bool:
    """Mostly lower case: cues (names, dates) can be read from it, unlike from a text in capitals."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.islower() for ch in letters) >= len(letters) / 2


Item = tuple["Evidence", dict[str, "Evidence"]]  # an evidence item of merged copies: its first, one per text


def _near_copy(original: Evidence, other: Evidence, vectors: dict[int, np.ndarray]) -> bool:
    """The same sentence lightly edited: close vectors, mostly the same words, and nothing that tells them apart
    (no cue either way, the same figures). Texts in capitals hide their cues: only their exact equals join them."""
    a, b = vectors.get(original.statement.id), vectors.get(other.statement.id)
    if a is None or b is None or float(a @ b) < NEAR_COPY:  # the cheap test first: most pairs are not close
        return False
    if not (_ordinary_case(original.text) and _ordinary_case(other.text)):
        return False
    words, other_words = set(normalised(original.text).split()), set(normalised(other.text).split())
    if len(words & other_words) < COPY_OVERLAP * len(words | other_words):
        return False
    if set(FIGURES.findall(original.text)) != set(FIGURES.findall(other.text)):
        return False
    return not find_cues(original.text, other.text) and not find_cues(other.text, original.text)


def merge_copies(vectors: VectorBackend, candidates: Sequence[Evidence]) -> list[Evidence]:
    """Wire copies as one evidence item, order kept: a candidate joins an earlier item when its text is the same
    as one of the item's (normalised), or a light edit of every different text in it (`_near_copy`)."""
    return [first for first, _ in _merge_into(vectors, [], candidates)]


def evidence_pool(
    vectors: VectorBackend, candidates: Sequence[Evidence], size: int, top_k: int
) -> tuple[list[Evidence], list[Evidence]]:
    """The `size` items a verdict reads, wire copies merged among the first COPY_POOL times as many candidates, and
    (for a `top_k` above `size`) the further items shown, merged from the rest; a later copy of a pool item is
    dropped."""
    judged = COPY_POOL * size
    items = _merge_into(vectors, [], candidates[:judged])
    more: list[Evidence] = []
    if top_k > size:
        items = _merge_into(vectors, items, candidates[judged:], closed=size)
        more = [first for first, _ in items[size:top_k]]
    return [first for first, _ in items[:size]], more


def _merge_into(
    vectors: VectorBackend, items: list[Item], candidates: Sequence[Evidence], closed: int = 0
) -> list[Item]:
    """`merge_copies` going on from `items` (each: its first statement, one statement per distinct text);
    the first `closed` items take no more copies: a later copy of one of them is dropped."""
    known = [e.statement.id for _, texts in items for e in texts.values()]
    found = vectors.reconstruct(known + [e.statement.id for e in candidates])
    for e in candidates:
        key = normalised(e.text)
        home = next((item for item in items if key in item[1]), None) or next(
            (item for item in items if all(_near_copy(v, e, found) for v in item[1].values())), None
        )
        if home is None:
            items.append((e, {key: e}))
        elif items.index(home) >= closed:
            home[0].copies.append(e)
            # one statement per distinct text: the one in ordinary case when there is one
            if key not in home[1] or (_ordinary_case(e.text) and not _ordinary_case(home[1][key].text)):
                home[1][key] = e
    return items
