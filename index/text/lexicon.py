"""The word lists the text steps read: stopwords, verbs of saying, number words and modifiers, months and weekdays,
verbs of direction on opposite sides of an axis, words that start sentences or are no units."""

import re

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "has",
        "have",
        "had",
        "not",
        "no",
        "do",
        "does",
        "did",
        "than",
        "then",
        "there",
        "their",
        "they",
        "he",
        "she",
        "we",
        "you",
        "i",
        "his",
        "her",
        "our",
    ]
)

# verbs that say only that something was said: a claim's "said" is in a statement's "stating, '...'" or "told
# reporters" (`overlap.missing_share`); verbs that say how ("warned", "denied", "demanded") are words like any other
SAYING = frozenset(
    """
    say says said saying state states stated stating tell tells told telling add adds added note notes noted
    explain explains explained write writes wrote tweet tweets tweeted remark remarked comment commented according
    """.split()
)

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


# bounds that leave out the figure itself: "more than 64" is not 64, "at least 64" is
STRICT_BOUNDS = {"more than", "over", "above", "in excess of", "fewer than", "less than", "under", "below"}


# words that bound a year rather than give it: "released before 2015" is any year up to 2014 ("by" and "since"
# say other things: a deadline, a span)
YEAR_BEFORE = {"before", "prior to", "earlier than"}


YEAR_AFTER = {"after", "later than"}


# words before a year that make it no event's date: a bound, a span or one end of a range ("since 2010's Iron Man 2")
YEAR_NOT_A_DATE = YEAR_BEFORE | YEAR_AFTER | {"since", "until", "till", "by", "from", "between", "through", "to"}


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
    (
        [
            ("win", "wins", "won", "won", "winning", "victory"),
            ("capture", "captures", "captured", "captured", "capturing", "capture"),
            ("seize", "seizes", "seized", "seized", "seizing", ""),  # "seizure" is also a fit
        ],
        [("lose", "loses", "lost", "lost", "losing", "defeat")],
    ),
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

# The axis whose verbs say who won or lost: "M23 captured Goma" is the opposite of "M23 lost Goma" only when M23 is
# the one that captured it ("The army lost Bukavu" against "Rebels seized Bukavu" agree), so its verbs are
# restated, or an opposite cue, only where the claim and the statement name the same party before them
# (cues.same_party).
WINNING = next(axis for axis, (won, _) in enumerate(AXES) if won[0][0] == "win")


BASE, THIRD, PAST, PARTICIPLE, ING, NOUN = range(6)


AUXILIARIES = frozenset({"has", "have", "had", "been", "be", "being", "is", "are", "was", "were", "get", "got"})
# the auxiliaries of a passive verb ("was captured" says who lost; "has captured" is active)
PASSIVE = (AUXILIARIES - {"has", "have", "had"}) | {"gets"}


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
NOT_VERBS = {0: ({"higher"}, {"lower"}), WINNING: (set(), {"defeated"})}


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


def query_words(query: str) -> list[str]:
    """A query's distinct words, lower-cased, stopwords left out."""
    return [w for w in dict.fromkeys(re.findall(r"\w+", query.lower())) if w not in STOPWORDS]
