"""Restatements of a claim in a statement's words: its verb of direction replaced by the statement's verb of the
same axis, its movement between two places reversed, its bounded figures replaced by the statement's figures for
the same measure, or its bounded dates by the statement's date. The stance model reads the statement against each."""

import re

from factdesk.index.text.cues import (
    CLAIM_FIGURES,
    READ_CHARS,
    Quantity,
    Span,
    bound_reading,
    date_bounds,
    measure_words,
    quantities,
    same_party,
)
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
    WINNING,
)
from factdesk.index.text.overlap import has_stem, stem


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


# the restatements of a claim read against one statement, its first: each is a pair the model reads, and a claim of
# many verbs of direction would otherwise have it read them all for every statement of its pool
MAX_RESTATEMENTS = 4
LOOSE_FIGURES = frozenset({"one"})  # often no count at all: "one of them", "what one man does"


def _comparable(claim: str, ours: Quantity, statement: str, theirs: Quantity) -> bool:
    """Figures of the same unit, or where only one of the two has a unit, that unit among the words around the
    other ("45,000 people" and "a capacity of 45,000")."""
    if ours.units and theirs.units:
        return bool(ours.units & theirs.units)
    around = measure_words(claim, ours) if theirs.units else measure_words(statement, theirs)
    return all(has_stem(around, stem(u)) for u in ours.units | theirs.units)


def _within(ours: Quantity, theirs: Quantity) -> bool:
    low, high = ours.claimed()
    return low <= theirs.low and theirs.high <= high


def _same_measure(
    claim: str, ours: Quantity, others: list[Quantity], statement: str, theirs: list[Quantity]
) -> Quantity | None:
    """The statement's figure for what the claim's figure counts, of the comparable ones that share the most words
    around them with it: one within the claim's bounds where there is such a figure at all (the statement has the
    claim's figure, and the others are of something else: "the sixth death, a 53-year-old man" after "the fifth,
    a 71-year-old"; "81,114 (38,242 to 162,106)"), else one outside them. None where a figure overlaps the claim's
    bounds only in part, or none shares a word with it; a figure within another of the claim's is that one's."""
    around = measure_words(claim, ours)
    low, high = ours.claimed()
    within: list[tuple[int, Quantity]] = []
    outside: list[tuple[int, Quantity]] = []
    for q in theirs:
        if not _comparable(claim, ours, statement, q) or any(_within(other, q) for other in others):
            continue
        inside = _within(ours, q)
        if not inside and q.low <= high and low <= q.high:
            return None
        words = measure_words(statement, q)
        shared = 2 * len(ours.units & q.units) + sum(has_stem(words, w) for w in around)
        (within if inside else outside).append((shared, q))
    shared, best = max(within or outside, key=lambda found: found[0], default=(0, None))
    return best if shared else None


def _figures(claim: str, statement: str) -> tuple[str, bool] | None:
    """The claim with each of its bounded figures ("more than 100,000", "at most 2,200") that the statement gives
    for the same measure replaced by the statement's figure, where that figure falls within the bounds ("more than
    100,000" against "112,113") or outside them ("less than 2,200" against "2,208", which is the opposite). A bare
    figure is left to the model and the number cue: on news claims the statement's figure for a nearby measure
    (an urban population, another year's rate) would too often be read as the claim's."""
    ours = [q for q in quantities(claim) if q.figure.text.lower() not in LOOSE_FIGURES][:CLAIM_FIGURES]
    if not any(q.bounded for q in ours):
        return None  # most claims: the statement need not be parsed
    theirs = [q for q in quantities(statement) if q.figure.text.lower() not in LOOSE_FIGURES]
    replaced = []
    for k, figure in enumerate(ours):
        if not figure.bounded:
            continue
        match = _same_measure(claim, figure, ours[:k] + ours[k + 1 :], statement, theirs)
        if match is not None and match.figure.text.lower() != figure.figure.text.lower():
            replaced.append((figure.figure, match.figure.text, not _within(figure, match)))
    return _replaced(claim, replaced)


def _dates(claim: str, statement: str) -> tuple[str, bool] | None:
    """The claim with each bound on a year or month ("released before 2015", "after February 2019") replaced by
    the statement's date for the same event ("in 2016", "in December 2018": `cues.bound_reading`), and whether that
    date is outside the bound."""
    replaced = []
    for bound in date_bounds(claim)[:CLAIM_FIGURES]:
        reading = bound_reading(claim, bound, statement)
        if reading:
            dated, outside = reading
            replaced.append((bound.span, f"in {dated.said}", outside))
    return _replaced(claim, replaced)


def _replaced(claim: str, replaced: list[tuple[Span, str, bool]]) -> tuple[str, bool] | None:
    """The claim with each span replaced by its text (capitalised at the claim's start), and whether any of them
    is the opposite of what it replaces; None when nothing is."""
    if not replaced:
        return None
    pieces, last = [], 0
    for span, text, _ in replaced:
        if span.start == 0:
            text = text[0].upper() + text[1:]
        pieces.append(claim[last : span.start] + text)
        last = span.end
    return "".join(pieces) + claim[last:], any(opposite for _, _, opposite in replaced)


def restatements(claim: str, statement: str) -> list[tuple[str, bool]]:
    """The claim with one of its verbs of direction replaced by a verb of the same axis that the statement uses
    instead, in the claim's form, and whether that verb is the opposite side: the model then reads the statement
    against the claim said in the statement's words (a verb of who won or lost only where both name the same party
    before it: `cues.same_party`). At most one for each of the claim's verbs, and the claim's
    movement reversed (`_reversal`), which is always the opposite, its figures in the statement's figures
    (`_figures`) and its bounded dates in the statement's date for the same event (`_dates`); the first
    MAX_RESTATEMENTS of them, each a pair the model reads."""
    claim, statement = claim[:READ_CHARS], statement[:READ_CHARS]
    words = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(claim.lower())]
    ours = {w for w, _, _ in words}
    theirs: dict[str, int] = {}  # each word and where it first is
    for m in OPPOSITE_WORD.finditer(statement.lower()):
        theirs.setdefault(m.group(), m.start())
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
            if axis == WINNING and not same_party(claim[:a], statement[: theirs[other]]):
                continue
            opposite = found[1] != side
            if opposite and theirs.keys() & same_side:
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
    for read in (_figures(claim, statement), _dates(claim, statement)):
        if read:
            results.append(read)
    return results[:MAX_RESTATEMENTS]
