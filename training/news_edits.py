"""The edits real claims make of news sentences, as NLI pairs: antonyms and opposite directions, synonyms, reported
speech, a clause of the sentence, a figure rounded or of another year (see `make_news_edits`). Only premises from
the training split are edited, so nothing here leaks into the held-out slice."""

import random
import re
from collections.abc import Iterable, Iterator

from factdesk.index.stance.labels import CONTRADICTION, ENTAILMENT, NEUTRAL
from factdesk.training.synthetic import NAME, NUMBER, YEAR, sentences_of, swap_date, swap_number

# Word forms swapped one for one, so the sentence stays grammatical. Antonyms make a contradiction, synonyms an
# entailment (the paraphrases of direction and degree a news claim is written in: "clashes intensify" → "clashes
# are escalating").
ANTONYMS = [
    ("rose", "fell"),
    ("rises", "falls"),
    ("rising", "falling"),
    ("increased", "decreased"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("higher", "lower"),
    ("improving", "deteriorating"),
    ("improved", "worsened"),
    ("improves", "worsens"),
    ("intensified", "eased"),
    ("intensify", "ease"),
    ("intensifying", "easing"),
    ("escalated", "subsided"),
    ("escalating", "subsiding"),
    ("grew", "shrank"),
    ("growing", "shrinking"),
    ("expanded", "contracted"),
    ("opened", "closed"),
    ("reopened", "closed"),
    ("won", "lost"),
    ("wins", "loses"),
    ("victory", "defeat"),
    ("approved", "rejected"),
    ("accepted", "rejected"),
    ("allowed", "banned"),
    ("lifted", "imposed"),
    ("strengthened", "weakened"),
    ("stronger", "weaker"),
    ("gained", "lost"),
    ("supported", "opposed"),
    ("supports", "opposes"),
    ("confirmed", "denied"),
    ("succeeded", "failed"),
    ("survived", "died"),
    ("started", "ended"),
    ("began", "ended"),
    ("before", "after"),
    ("largest", "smallest"),
    ("legal", "illegal"),
    ("safe", "dangerous"),
    ("rapidly", "slowly"),
]


SYNONYMS = [
    ("intensified", "escalated"),
    ("intensify", "escalate"),
    ("intensifying", "escalating"),
    ("increased", "rose"),
    ("increasing", "growing"),
    ("decreased", "fell"),
    ("declined", "dropped"),
    ("deteriorating", "worsening"),
    ("captured", "seized"),
    ("killed", "slain"),
    ("began", "started"),
    ("ended", "finished"),
    ("bought", "purchased"),
    ("rapidly", "quickly"),
    ("large", "big"),
    ("fled", "escaped"),
    ("blocked", "cut off"),
    ("announced", "declared"),
    ("about", "around"),
    ("nearly", "almost"),
    ("cars", "vehicles"),
    ("attacked", "struck"),
    ("injured", "wounded"),
]


SPEAKERS = [
    "officials",
    "police",
    "the ministry",
    "a spokesperson",
    "witnesses",
    "local authorities",
    "the agency",
    "a government statement",
    "the army",
    "residents",
]


_FROM_TO = re.compile(
    r"\bfrom ((?:the )?[A-Z][\w-]+(?: [A-Z][\w-]+)*) (to|into) ((?:the )?[A-Z][\w-]+(?: [A-Z][\w-]+)*)"
)


def _swap_word(sentence: str, table: list[tuple[str, str]], rng: random.Random) -> str | None:
    """One word of the table replaced by its partner (either way round), keeping an initial capital."""
    options = []
    for a, b in table:
        for old, new in ((a, b), (b, a)):
            for m in re.finditer(rf"\b{re.escape(old)}\b", sentence, re.IGNORECASE):
                options.append((m, new))
    if not options:
        return None
    m, new = rng.choice(options)
    if m.group()[0].isupper():
        new = new[0].upper() + new[1:]
    return sentence[: m.start()] + new + sentence[m.end() :]


def _swap_direction(sentence: str, rng: random.Random) -> str | None:
    """ "from Congo into Rwanda" → "from Rwanda into Congo"."""
    m = _FROM_TO.search(sentence)
    if not m or m.group(1) == m.group(3):
        return None
    return sentence[: m.start()] + f"from {m.group(3)} {m.group(2)} {m.group(1)}" + sentence[m.end() :]


_COMMON_STARTS = frozenset(
    "The A An It Its This That These Those There He She They We His Her Their Our Some Many Most All Several "
    "Two Three One In On At As After Before During Since When While Other And But".split()
)


def attribute(sentence: str, rng: random.Random, names: list[str]) -> str:
    """The sentence as reported speech or a hedged report: what a fact-checker reads as asserting it."""
    speaker = rng.choice(SPEAKERS + names[:200]) if names and rng.random() < 0.3 else rng.choice(SPEAKERS)
    bare = sentence.rstrip(".!? ")
    first = bare.split(" ", 1)[0]
    lower = bare[0].lower() + bare[1:] if first in _COMMON_STARTS else bare
    forms = (
        f"{bare}, {speaker} said.",
        f"{bare}, according to {speaker}.",
        f"According to {speaker}, {lower}.",
        f"Reports indicate that {lower}.",
        f"{speaker[0].upper() + speaker[1:]} said that {lower}.",
        f"{speaker[0].upper() + speaker[1:]} confirmed that {lower}.",
        f"It was reported that {lower}.",
    )
    return rng.choice(forms)


_CLAUSE_END = re.compile(r"[,;:]\s+|\s+(?:but|while|whereas)\s+")


_DEPENDENT = frozenset(
    "which who whom whose that according due including with without to in on at for from by of as after before "
    "when where if although though because since said says told than and but or".split()
)


_SUBJECTS = frozenset("the a an it he she they we this these those there his her their its our".split())


_ATTRIBUTION_CLAUSE = re.compile(r"\b(?:said|says|told|reported|reports)\b(?:\s+\w+){0,3}$")


def edited_clause(original: str, edited: str) -> str | None:
    """The clause of `edited` that holds its edit, as a sentence of its own: real claims are a clause, not the
    whole news sentence they come from. None when the edit spans the whole sentence or the clause is under 4 words."""
    start = next((i for i, (a, b) in enumerate(zip(original, edited, strict=False)) if a != b), None)
    if start is None:
        return None
    tail = 0
    while tail < min(len(original), len(edited)) - start and original[-1 - tail] == edited[-1 - tail]:
        tail += 1
    return clause_around(edited, start, len(edited) - tail)


def clause_around(sentence: str, start: int, end: int) -> str | None:
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(sentence) if m.end() <= start]
    after = [m.start() for m in _CLAUSE_END.finditer(sentence) if m.start() >= end]
    clause = sentence[max(bounds) : min(after, default=len(sentence))].strip().rstrip(".!?,;: ")
    words = clause.split()
    if len(words) < 4 or len(clause) >= len(sentence.rstrip(".!? ")):
        return None
    if not (words[0][0].isupper() or words[0] in _SUBJECTS) or words[0].lower() in _DEPENDENT:
        return None  # "have won her fans", "which has reached ...", "due to ...": no subject, not a claim
    if _ATTRIBUTION_CLAUSE.search(clause) or clause.count("(") != clause.count(")"):
        return None
    return clause[0].upper() + clause[1:] + "."


def same_name_sentence(sentence: str, others: list[str], rng: random.Random, clauses: float = 0.0) -> str | None:
    """Another sentence of the text that names someone or something the sentence names: the same topic, another
    fact (neutral), which real archives are full of; cut to the clause with the name at the rate `clauses`."""
    names = set(NAME.findall(sentence))
    related = [(o, n) for o in others for n in NAME.findall(o) if n in names]
    if not related:
        return None
    other, name = rng.choice(related)
    if clauses and rng.random() < clauses:
        at = other.index(name)
        return clause_around(other, at, at + len(name)) or other
    return other


_HEDGED = re.compile(r"\b(?:about|around|approximately|nearly|almost|over|more than|some|roughly)\s*$", re.I)


def _rounded(value: float) -> float | None:
    """The figure to 2 or 1 significant digits, within 5% of it; None for small whole counts, which are exact."""
    if value.is_integer() and value < 100:
        return None
    for digits in (2, 1):
        rounded = float(f"{value:.{digits}g}")
        if rounded != value and abs(rounded - value) <= 0.05 * value:
            return rounded
    return None


def rounded_number(sentence: str, rng: random.Random) -> str | None:
    """A figure rounded and hedged ("6.96 million" → "about 7 million", "1,234" → "more than 1,200"): what a
    claim says of a precise figure, and entailed by it, where a changed figure is a contradiction."""
    figures = [(m, float(m.group().replace(",", ""))) for m in NUMBER.finditer(sentence)]
    options = [(m, value, r) for m, value in figures if not YEAR.fullmatch(m.group()) and (r := _rounded(value))]
    if not options:
        return None
    m, value, rounded = rng.choice(options)
    start = m.start() - 1 if m.start() and sentence[m.start() - 1] in "$£€" else m.start()
    if _HEDGED.search(sentence[:start]):
        return None  # already hedged: "about 7 million" rounded again says little
    hedge = rng.choice(("about", "approximately", "around", "nearly" if rounded > value else "more than"))
    text = f"{int(rounded):,}" if rounded.is_integer() else f"{rounded:g}"
    return sentence[:start] + f"{hedge} " + sentence[start : m.start()] + text + sentence[m.end() :]


def other_year_figure(sentence: str, rng: random.Random) -> str | None:
    """The sentence with another year and another figure: a different fact, not a contradiction ("the 2020
    population is 107 million" says nothing of the population at independence)."""
    years = [m.group() for m in YEAR.finditer(sentence)]
    figures = [m for m in NUMBER.finditer(sentence) if not YEAR.fullmatch(m.group())]
    if not years or not figures:
        return None
    # every year is masked, so the figure scaled is never a second year ("from 2019 to 2021")
    swapped = swap_number(YEAR.sub("\0", sentence), rng)
    if swapped is None:
        return None
    other = int(years[0]) + rng.choice((-10, -5, -3, -2, -1, 1, 2, 3, 5, 10))
    parts = swapped.split("\0")
    return parts[0] + "".join(y + part for y, part in zip([str(other), *years[1:]], parts[1:], strict=True))


def make_news_edits(
    texts: Iterable[str],
    seed: int = 17,
    limit: int = 8000,
    clauses: float = 0.0,
    same_name: float = 0.0,
    numbers: float = 0.0,
) -> Iterator[dict[str, str]]:
    """Up to `limit` pairs of the edits a news claim makes of its source: antonym and direction swaps
    (contradiction), synonyms and reported speech (entailment), and reported speech of another sentence
    (neutral), so attribution itself says nothing of the label. A third of the contradictions and of the
    number and date swaps are made against an attributed premise for the same reason. A share `clauses` of the
    swaps keep only the edited clause as the hypothesis (`edited_clause`), the length real claims have; a share
    `same_name` of the neutral pairs are a sentence against another that names the same person, place or body
    (`same_name_sentence`), so a related statement with other facts is not read as a contradiction. A share
    `numbers` of the entailments are a figure rounded and hedged (`rounded_number`), and of the neutral pairs
    the sentence with another year and another figure (`other_year_figure`): a figure that differs is a
    contradiction only of the same fact."""
    rng = random.Random(seed)
    documents = [d for d in (sentences_of(t) for t in texts) if d]
    names = sorted({n for d in documents for s in d for n in NAME.findall(s)})
    rng.shuffle(documents)
    made = 0
    for sentences in documents:
        for sentence in sentences:
            if made >= limit:
                return
            roll = rng.random()
            premise, hypothesis = sentence, None
            if sentence[0] in "\"“'‘":
                continue  # a quotation: attributing it again reads oddly
            if roll < 0.4:
                edits = [
                    lambda s, r: _swap_word(s, ANTONYMS, r),
                    lambda s, r: _swap_word(s, ANTONYMS, r),
                    _swap_direction,
                    swap_number,
                    swap_date,
                ]
                rng.shuffle(edits)
                hypothesis = next((h for edit in edits if (h := edit(sentence, rng))), None)
                label = CONTRADICTION
                if rng.random() < 0.33:
                    premise = attribute(sentence, rng, names)
            elif roll < 0.55:
                hypothesis, label = _swap_word(sentence, SYNONYMS, rng), ENTAILMENT
                if numbers and rng.random() < numbers:
                    hypothesis = rounded_number(sentence, rng) or hypothesis
            elif roll < 0.8:
                premise, hypothesis, label = attribute(sentence, rng, names), sentence, ENTAILMENT
            else:
                others = [s for s in sentences if s != sentence]
                if not others:
                    continue
                premise, hypothesis, label = attribute(rng.choice(others), rng, names), sentence, NEUTRAL
                if numbers and rng.random() < numbers and (changed := other_year_figure(sentence, rng)):
                    premise, hypothesis = sentence, changed
                if same_name and rng.random() < same_name:
                    related = same_name_sentence(sentence, others, rng, clauses)
                    if related:
                        premise, hypothesis = (
                            sentence if rng.random() < 0.5 else attribute(sentence, rng, names),
                            related,
                        )
            if clauses and hypothesis and roll < 0.55 and rng.random() < clauses:
                hypothesis = edited_clause(sentence, hypothesis) or hypothesis
            if hypothesis and hypothesis != premise:
                made += 1
                yield {"premise": premise, "hypothesis": hypothesis, "label": label, "source": "news_edits"}
