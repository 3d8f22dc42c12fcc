"""Typed conflict cues between a claim and a statement: numbers, dates, negation and named entities.

Each cue carries the spans (offsets into the claim and into the statement) that explain it, so a reader
sees *why* a statement conflicts: "about 50 civilians" against "about 15 civilians".
"""

import math
import re
from dataclasses import dataclass

from index.store import STOPWORDS

STEM = 5  # letters that stand for a word's stem when words are compared: "captured" is in "capture"
EVENT_WINDOW = 8  # words either side of a date that say what it dates

SMALL_NUMBERS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "a dozen": 12,
}
VAGUE_NUMBERS = {
    "dozens": (24, 99),
    "scores": (40, 199),
    "hundreds": (200, 999),
    "thousands": (2000, 999_999),
    "millions": (2e6, 999e6),
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
APPROX = {
    "about",
    "around",
    "approximately",
    "roughly",
    "some",
    "nearly",
    "almost",
    "an estimated",
    "estimated",
    "close to",
}
AT_LEAST = {"at least", "more than", "over", "above", "upwards of", "in excess of"}
AT_MOST = {"at most", "up to", "fewer than", "less than", "under", "below", "no more than"}
MODIFIER = "|".join(sorted((re.escape(m) for m in APPROX | AT_LEAST | AT_MOST), key=len, reverse=True))
NUMBER_WORD = "|".join(sorted(list(SMALL_NUMBERS) + list(VAGUE_NUMBERS), key=len, reverse=True))
QUANTITY = re.compile(
    rf"(?:\b(?P<mod>{MODIFIER})\s+)?(?P<num>\d+(?:[.,]\d+)*(?:\s*%)?|\b(?:{NUMBER_WORD})\b)"
    rf"(?:\s+(?P<scale>thousand|million|billion|trillion)\b)?"
    rf"(?:\s+(?:of\s+)?(?P<unit>[A-Za-z-]+)(?:\s+(?P<unit2>[A-Za-z-]+))?)?",
    re.I,
)
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DATE = re.compile(
    rf"\b(?P<month>{'|'.join(m.capitalize() for m in MONTHS)})\b"
    rf"|\b(?P<weekday>{'|'.join(d.capitalize() for d in WEEKDAYS)})\b"
    r"|\b(?P<year>(?:1[89]|20)\d\d)\b"
)
NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|n't|failed to|fails to|fail to|"
    r"unable to|refused to|refuses to|denied|denies|deny|rejected|rejects|false|untrue)\b|n't\b",
    re.I,
)


# Verbs of direction, each as (base, -s, past, participle, -ing, noun or ""), on two opposite sides of an axis. A
# claim's verb is restated with a statement's verb of the same axis, in the claim's form, for the model to read:
# "are growing" against "clashes ... intensify" becomes "are intensifying"; "has eased" against "a stunning
# escalation" becomes "has escalated", which a statement that entails it contradicts the claim by.
AXES: list[tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = [
    (
        [
            ("increase", "increases", "increased", "increased", "increasing", "increase"),
            ("rise", "rises", "rose", "risen", "rising", "rise"),
            ("grow", "grows", "grew", "grown", "growing", "growth"),
            ("climb", "climbs", "climbed", "climbed", "climbing", "climb"),
            ("surge", "surges", "surged", "surged", "surging", "surge"),
            ("soar", "soars", "soared", "soared", "soaring", ""),
            ("escalate", "escalates", "escalated", "escalated", "escalating", "escalation"),
            ("intensify", "intensifies", "intensified", "intensified", "intensifying", "intensification"),
            ("expand", "expands", "expanded", "expanded", "expanding", "expansion"),
            ("boost", "boosts", "boosted", "boosted", "boosting", "boost"),
            ("raise", "raises", "raised", "raised", "raising", ""),
            ("gain", "gains", "gained", "gained", "gaining", "gain"),
        ],
        [
            ("decrease", "decreases", "decreased", "decreased", "decreasing", "decrease"),
            ("fall", "falls", "fell", "fallen", "falling", "fall"),
            ("decline", "declines", "declined", "declined", "declining", "decline"),
            ("drop", "drops", "dropped", "dropped", "dropping", "drop"),
            ("shrink", "shrinks", "shrank", "shrunk", "shrinking", ""),
            ("plunge", "plunges", "plunged", "plunged", "plunging", "plunge"),
            ("slump", "slumps", "slumped", "slumped", "slumping", "slump"),
            ("reduce", "reduces", "reduced", "reduced", "reducing", "reduction"),
            ("cut", "cuts", "cut", "cut", "cutting", "cut"),
            ("lower", "lowers", "lowered", "lowered", "lowering", ""),
            ("ease", "eases", "eased", "eased", "easing", ""),
            ("subside", "subsides", "subsided", "subsided", "subsiding", ""),
            ("diminish", "diminishes", "diminished", "diminished", "diminishing", ""),
        ],
    ),
    (
        [("improve", "improves", "improved", "improved", "improving", "improvement")],
        [
            ("worsen", "worsens", "worsened", "worsened", "worsening", ""),
            ("deteriorate", "deteriorates", "deteriorated", "deteriorated", "deteriorating", "deterioration"),
        ],
    ),
    (
        [
            ("open", "opens", "opened", "opened", "opening", "opening"),
            ("reopen", "reopens", "reopened", "reopened", "reopening", "reopening"),
        ],
        [
            ("close", "closes", "closed", "closed", "closing", "closure"),
            ("shut", "shuts", "shut", "shut", "shutting", "shutdown"),
        ],
    ),
    ([("win", "wins", "won", "won", "winning", "victory")], [("lose", "loses", "lost", "lost", "losing", "defeat")]),
    (
        [
            ("allow", "allows", "allowed", "allowed", "allowing", ""),
            ("permit", "permits", "permitted", "permitted", "permitting", ""),
            ("approve", "approves", "approved", "approved", "approving", "approval"),
            ("legalise", "legalises", "legalised", "legalised", "legalising", ""),
            ("legalize", "legalizes", "legalized", "legalized", "legalizing", ""),
        ],
        [
            ("ban", "bans", "banned", "banned", "banning", "ban"),
            ("prohibit", "prohibits", "prohibited", "prohibited", "prohibiting", "prohibition"),
            ("forbid", "forbids", "forbade", "forbidden", "forbidding", ""),
            ("outlaw", "outlaws", "outlawed", "outlawed", "outlawing", ""),
        ],
    ),
    (
        [
            ("prevent", "prevents", "prevented", "prevented", "preventing", "prevention"),
            ("inhibit", "inhibits", "inhibited", "inhibited", "inhibiting", ""),
            ("block", "blocks", "blocked", "blocked", "blocking", ""),
            ("suppress", "suppresses", "suppressed", "suppressed", "suppressing", ""),
        ],
        [
            ("cause", "causes", "caused", "caused", "causing", ""),
            ("induce", "induces", "induced", "induced", "inducing", ""),
            ("trigger", "triggers", "triggered", "triggered", "triggering", ""),
            ("promote", "promotes", "promoted", "promoted", "promoting", ""),
        ],
    ),
]
BASE, THIRD, PAST, PARTICIPLE, ING, NOUN = range(6)
AUXILIARIES = frozenset({"has", "have", "had", "been", "be", "being", "is", "are", "was", "were", "get", "got"})
DETERMINERS = frozenset({"a", "an", "the", "its", "their", "this", "that", "his", "her", "our", "any", "no"})
# word → (axis, side, the forms of its verb)
DIRECTION_WORDS: dict[str, tuple[int, int, tuple[str, ...]]] = {
    form: (axis, side, forms)
    for axis, sides in enumerate(AXES)
    for side, verbs in enumerate(sides)
    for forms in verbs
    for form in forms
    if form
}
# Opposite directions: a claim that says one side while the statement says only the other ("prices rose" / "prices
# fell", "schools remained open" / "the closure of schools"). Words of the negation list are left to it.
# Words of an axis that are no verb of it there ("defeated" says who lost, not who defeated whom).
NOT_VERBS = {0: ({"higher"}, {"lower"}), 3: (set(), {"defeated"})}
OPPOSITES = [
    tuple(
        frozenset(form for forms in verbs for form in forms if form) | NOT_VERBS.get(axis, (set(), set()))[side]
        for side, verbs in enumerate(sides)
    )
    for axis, sides in enumerate(AXES)
]
OPPOSITES += [
    ({"positive"}, {"negative"}),
    ({"alive", "survived", "survive", "survives"}, {"dead", "died", "dies", "killed"}),
]
OPPOSITE_WORD = re.compile(r"[a-z]+")

ENTITY = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w’'-]*)*")
SENTENCE_START_WORDS = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "As",
        "It",
        "This",
        "That",
        "These",
        "Those",
        "He",
        "She",
        "They",
        "We",
        "I",
        "His",
        "Her",
        "Its",
        "Their",
        "But",
        "And",
        "Or",
        "If",
        "When",
        "While",
        "After",
        "Before",
        "Meanwhile",
        "However",
        "About",
        "Some",
        "Many",
        "Most",
        "All",
        "No",
        "Not",
        "Previously",
        "Reports",
        "According",
    ]
)
WEAK_NEIGHBOURS = frozenset({"and", "or", ",", "the", "a", "an", "of", "to", "with", "that", "who"})
NOT_UNITS = frozenset(
    [
        "and",
        "or",
        "of",
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "to",
        "were",
        "was",
        "are",
        "is",
        "have",
        "has",
        "had",
        "been",
        "be",
        "who",
        "which",
        "that",
        "from",
        "for",
        "by",
        "with",
        "as",
        "than",
        "per",
        "each",
        "more",
        "less",
        "people's",
    ]
)
UNIT_ALIASES = {"people": "person", "persons": "person", "children": "child", "men": "man", "women": "woman"}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Cue:
    kind: str  # number | date | negation | opposite | entity
    claim: Span | None
    statement: Span | None
    detail: str


@dataclass(frozen=True, slots=True)
class Quantity:
    span: Span
    low: float
    high: float
    units: frozenset[str]


def _unit(word: str | None) -> str | None:
    if not word or word.lower() in NOT_UNITS:
        return None
    w = word.lower()
    w = UNIT_ALIASES.get(w, w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


def quantities(text: str) -> list[Quantity]:
    found = []
    for m in QUANTITY.finditer(text):
        raw = m.group("num").lower().replace(" ", "")
        if re.fullmatch(r"(?:1[89]|20)\d\d", raw) and not m.group("mod"):
            continue  # a year: dates handle it
        glued = m.start("num") > 0 and text[m.start("num") - 1] in "-–/:"
        if (glued or re.fullmatch(r"\d+[.,]\d+[.,]\d+.*", raw)) and "," not in raw:
            continue  # a code, score or date like 2025-01-27
        if raw in VAGUE_NUMBERS:
            low, high = VAGUE_NUMBERS[raw]
        else:
            value = SMALL_NUMBERS.get(raw)
            if value is None:
                digits = raw.rstrip("%").replace(",", "")
                try:
                    value = float(digits)
                except ValueError:
                    continue
            scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
            low = high = float(value) * scale
        mod = (m.group("mod") or "").lower()
        if mod in APPROX:
            low, high = (
                low * (0.85 if mod not in {"nearly", "almost"} else 0.8),
                high * (1.15 if mod not in {"nearly", "almost"} else 1.0),
            )
        elif mod in AT_LEAST:
            high = math.inf
        elif mod in AT_MOST:
            low = 0.0
        first, second = _unit(m.group("unit")), _unit(m.group("unit2"))
        units = frozenset({"%"} if raw.endswith("%") else {u for u in (first, second if first else None) if u})
        end = m.end("unit") if first else m.end("scale") if m.group("scale") else m.end("num")
        found.append(Quantity(Span(m.start(), end, text[m.start() : end]), low, high, units))
    return found


def number_cues(claim: str, statement: str) -> list[Cue]:
    cues = []
    theirs = quantities(statement)
    for q in quantities(claim):
        same_unit = [t for t in theirs if t.units & q.units]
        if same_unit and not any(t.low <= q.high and q.low <= t.high for t in same_unit):
            t = same_unit[0]
            cues.append(Cue("number", q.span, t.span, f"claim says {q.span.text!r}, statement says {t.span.text!r}"))
    return cues


def _dates(text: str) -> dict[str, list[Span]]:
    found: dict[str, list[Span]] = {"month": [], "weekday": [], "year": []}
    for m in DATE.finditer(text):
        kind = m.lastgroup or ""
        if kind == "month" and m.group() == "May" and not re.search(r"May\s+\d|\d\s+May|in May|of May", text):
            continue  # the verb "may" at a sentence start
        found[kind].append(Span(m.start(), m.end(), m.group()))
    return found


SUFFIXES = re.compile(r"(?:ing|ed|es|s|e)$")


def _stem(word: str) -> str:
    """A word without an inflection: "captured" and "capture" → "captur", "injuring" → "injur"."""
    bare = SUFFIXES.sub("", word) if len(word) > 4 else word
    return bare if len(bare) >= 3 else word


def _content(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1]


def _has(stems: set[str], stem: str) -> bool:
    """One stem is the other or starts it, from STEM letters on: "clos" (close) is in "closur" (closure)."""
    if stem in stems:
        return True
    return len(stem) >= STEM - 1 and any(
        len(other) >= STEM - 1 and (other.startswith(stem) or stem.startswith(other)) for other in stems
    )


def _around(text: str, span: Span, words: int = EVENT_WINDOW) -> set[str]:
    """Content-word stems within `words` words either side of a span: what the date is the date of."""
    before = re.findall(r"\w+", text[: span.start])[-words:]
    after = re.findall(r"\w+", text[span.end :])[:words]
    return set(_content(" ".join(before + after)))


def date_cues(claim: str, statement: str) -> list[Cue]:
    """A date of the claim that the statement gives otherwise for the same event: the words around the two dates
    share a content word ("summit on Friday" / "on Monday ... called for a summit"), so a statement that dates
    something else in another year is no conflict."""
    cues = []
    ours, theirs = _dates(claim), _dates(statement)
    for kind, spans in ours.items():
        other = theirs[kind]
        values = {s.text.lower() for s in other}
        for s in spans:
            if not other or s.text.lower() in values:
                continue
            context = _around(claim, s) - {_stem(o.text.lower()) for o in other}
            same_event = next((o for o in other if context & _around(statement, o)), None)
            if same_event:
                cues.append(Cue("date", s, same_event, f"claim says {s.text}, statement says {same_event.text}"))
    return cues


def negation_cues(claim: str, statement: str) -> list[Cue]:
    ours, theirs = list(NEGATION.finditer(claim)), list(NEGATION.finditer(statement))
    if bool(ours) == bool(theirs):
        return []
    if ours:
        m = ours[0]
        return [
            Cue(
                "negation",
                Span(m.start(), m.end(), m.group()),
                None,
                f"claim negates ({m.group()!r}), statement does not",
            )
        ]
    m = theirs[0]
    return [
        Cue("negation", None, Span(m.start(), m.end(), m.group()), f"statement negates ({m.group()!r}), claim does not")
    ]


def opposite_cues(claim: str, statement: str) -> list[Cue]:
    """One side of an OPPOSITES pair in the claim, only the other side in the statement."""
    ours = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(claim.lower())]
    theirs = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(statement.lower())]
    our_words, their_words = {w for w, _, _ in ours}, {w for w, _, _ in theirs}
    cues = []
    for one, other in OPPOSITES:
        for side, opposite in ((one, other), (other, one)):
            if our_words & side and their_words & opposite and not their_words & side and not our_words & opposite:
                _, a, b = next(t for t in ours if t[0] in side)
                _, c, d = next(t for t in theirs if t[0] in opposite)
                cues.append(
                    Cue(
                        "opposite",
                        Span(a, b, claim[a:b]),
                        Span(c, d, statement[c:d]),
                        f"claim says {claim[a:b]!r}, statement says {statement[c:d]!r}",
                    )
                )
    return cues


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


def _entities(text: str) -> list[tuple[Span, str | None, str | None]]:
    """Named entities with the word before and after them (their role in the sentence)."""
    found = []
    for m in ENTITY.finditer(text):
        name = m.group()
        words = name.split()
        if words[0] in SENTENCE_START_WORDS or words[0].lower() in MONTHS or words[0].lower() in WEEKDAYS:
            words = words[1:]
            if not words:
                continue
        start = m.end() - len(" ".join(words)) if len(words) < len(name.split()) else m.start()
        if start == 0 and len(words) == 1 and words[0].lower() in WEAK_NEIGHBOURS:
            continue
        before = re.findall(r"[\w’'-]+|,", text[:start])
        after = re.findall(r"[\w’'-]+|,", text[m.end() :])
        prev = next((w.lower() for w in reversed(before) if w.lower() not in {"the", "a", "an"}), None)
        nxt = after[0].lower() if after else None
        found.append((Span(start, m.end(), text[start : m.end()]), prev, nxt))
    return found


def _name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"\w+", name.lower()) if w not in ("of", "de", "s")]


def _compact(text: str) -> str:
    """Letters and digits only: "SARS-CoV-2", "Sars-cov2" and "SARS- CoV-2" are one name."""
    return re.sub(r"\W+", "", text.lower())


def _same_title(ours: str, theirs: str, statement_words: set[str]) -> bool:
    """Two names of several words that share one but neither contains the other, and the claim's own words are
    nowhere in the statement: "Secretary Blinken" / "Secretary Rubio", "South Kivu" / "North Kivu" (not
    "President Kagame" / "President Paul Kagame")."""
    a, b = set(ours.lower().split()), set(theirs.lower().split())
    if len(a) < 2 or len(b) < 2 or _compact(ours) in _compact(theirs) or _compact(theirs) in _compact(ours):
        return False
    own = a - b
    return bool(a & b) and bool(own) and bool(b - a) and not set(_name_words(" ".join(own))) <= statement_words


def entity_cues(claim: str, statement: str) -> list[Cue]:
    cues = []
    ours, theirs = _entities(claim), _entities(statement)
    claim_compact = _compact(claim)
    statement_words, statement_compact = set(_name_words(statement)), _compact(statement)
    # a name is missing unless the statement has it, spelt alike or with all its words ("General Rwivanga" is in
    # "Brigadier-General Ronald Rwivanga")
    missing = [
        (s, p, n)
        for s, p, n in ours
        if _compact(s.text) not in statement_compact and not set(_name_words(s.text)) <= statement_words
    ]
    extra = [(s, p, n) for s, p, n in theirs if _compact(s.text) not in claim_compact]
    for span, prev, nxt in missing:
        for other, o_prev, o_nxt in extra:
            same_before = prev and prev == o_prev and prev not in WEAK_NEIGHBOURS
            same_after = nxt and nxt == o_nxt and nxt not in WEAK_NEIGHBOURS
            if same_before or same_after or _same_title(span.text, other.text, statement_words):
                cues.append(
                    Cue(
                        "entity", span, other, f"claim names {span.text}, statement names {other.text} in the same role"
                    )
                )
                break
    return cues


def missing_share(claim: str, statement: str) -> float:
    """The share of the claim's content words that the statement lacks: a statement that entails a claim with
    none missing restates it, one that lacks a word may be agreeing with a claim that swapped it."""
    ours = _content(claim)
    if not ours:
        return 0.0
    theirs = set(_content(statement))
    return sum(not _has(theirs, w) for w in ours) / len(ours)


def find_cues(claim: str, statement: str) -> list[Cue]:
    return [
        *number_cues(claim, statement),
        *date_cues(claim, statement),
        *negation_cues(claim, statement),
        *opposite_cues(claim, statement),
        *entity_cues(claim, statement),
    ]
