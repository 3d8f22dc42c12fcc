"""Restatements of a claim in a statement's words: its verb of direction replaced by the statement's verb of the
same axis, or its movement between two places reversed. The stance model reads the statement against each."""

import re

from factdesk.index.text.lexicon import (
    AUXILIARIES,
    BASE,
    DETERMINERS,
    DIRECTION_WORDS,
    ING,
    NOUN,
    OPPOSITE_WORD,
    OPPOSITES,
    PARTICIPLE,
    PAST,
    THIRD,
)


def _slot(word: str, forms: tuple[str, ...], previous: str) -> int:
    """Which form of its verb a claim's word is, where the word alone leaves it open ("cut", "increased")."""
    slots = [i for i, form in enumerate(forms) if form == word]
    if previous in AUXILIARIES and PARTICIPLE in slots:
        return PARTICIPLE
    if previous in DETERMINERS and NOUN in slots:
        return NOUN
    return next((i for i in (PAST, BASE, THIRD, ING, PARTICIPLE, NOUN) if i in slots), slots[0])


# a movement between two named places: "from Rwanda into Congo"
MOVEMENT = re.compile(
    r"\bfrom (?P<origin>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*) (?:in)?to (?P<goal>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)"
)


def _goes_to(place: str, text: str) -> bool:
    return re.search(rf"\b(?:in)?to(?:wards?)? (?:the )?{re.escape(place)}\b", text) is not None


def _reversal(claim: str, statement: str) -> str | None:
    """The claim's movement the other way round, when the statement's goes to the claim's origin and not to its
    goal ("pushed Congolese refugees into Rwanda" against "fleeing from Rwanda into Congo")."""
    m = MOVEMENT.search(claim)
    if m is None or not _goes_to(m["origin"], statement) or _goes_to(m["goal"], statement):
        return None
    origin, goal = m.span("origin"), m.span("goal")
    return claim[: origin[0]] + m["goal"] + claim[origin[1] : goal[0]] + m["origin"] + claim[goal[1] :]


def restatements(claim: str, statement: str) -> list[tuple[str, bool]]:
    """The claim with one of its verbs of direction replaced by a verb of the same axis that the statement uses
    instead, in the claim's form, and whether that verb is the opposite side: the model then reads the statement
    against the claim said in the statement's words. At most one for each of the claim's verbs, and the claim's
    movement reversed (`_reversal`), which is always the opposite."""
    words = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(claim.lower())]
    ours = {w for w, _, _ in words}
    theirs = {m.group() for m in OPPOSITE_WORD.finditer(statement.lower())}
    results = []
    for k, (word, a, b) in enumerate(words):
        if word not in DIRECTION_WORDS:
            continue
        axis, side, forms = DIRECTION_WORDS[word]
        slot = _slot(word, forms, words[k - 1][0] if k else "")
        same_side = OPPOSITES[axis][side]
        for other in sorted(theirs):
            found = DIRECTION_WORDS.get(other)
            if not found or found[0] != axis or found[2] == forms or ours & set(found[2]):
                continue
            opposite = found[1] != side
            if opposite and theirs & same_side:
                continue  # the statement says both directions: of different things
            replacement = found[2][slot]
            if replacement:
                if claim[a].isupper():
                    replacement = replacement[0].upper() + replacement[1:]
                results.append((claim[:a] + replacement + claim[b:], opposite))
                break
    reversed_ = _reversal(claim, statement)
    if reversed_:
        results.append((reversed_, True))
    return results
