"""Typed conflict cues between a claim and a statement: numbers, dates, negation and named entities.

Each cue carries the spans (offsets into the claim and into the statement) that explain it, so a reader
sees *why* a statement conflicts: "about 50 civilians" against "about 15 civilians".
"""

import math
import re
from dataclasses import dataclass
from itertools import islice

from factdesk.index.text.lexicon import (
    APPROX,
    AT_LEAST,
    AT_MOST,
    MONTHS,
    NOT_UNITS,
    OPPOSITE_WORD,
    OPPOSITES,
    PASSIVE,
    SCALES,
    SENTENCE_START_WORDS,
    SMALL_NUMBERS,
    STOPWORDS,
    STRICT_BOUNDS,
    UNIT_ALIASES,
    VAGUE_NUMBERS,
    WEAK_NEIGHBOURS,
    WEEKDAYS,
    WINNING,
    YEAR_AFTER,
    YEAR_BEFORE,
    YEAR_NOT_A_DATE,
)
from factdesk.index.text.overlap import content_words, has_stem, stem

EVENT_WINDOW = 8  # words either side of a date that say what it dates
# a claim's figures and dates compared with a statement's, its first: each is compared with each of the statement's,
# and a claim of more is a list
CLAIM_FIGURES = 8
# the characters of a text that its cues, restatements and frames are read in: more than any sentence of the dev
# sets' evidence and twice the longest claim, so that a statement of a megabyte costs what a long sentence does
READ_CHARS = 4_000
ROUNDING = 0.05  # the most a bare figure is taken to be rounded, as a share of it
FIGURE_WINDOW = 4  # words either side of a figure that say what it counts


def _alternatives(words: set[str]) -> str:
    """A regex alternation of these words and phrases, the longest first."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


MODIFIER = _alternatives(APPROX | AT_LEAST | AT_MOST)


NUMBER_WORD = "|".join(sorted(list(SMALL_NUMBERS) + list(VAGUE_NUMBERS), key=len, reverse=True))


QUANTITY = re.compile(
    rf"(?:\b(?P<mod>{MODIFIER})\s+)?(?P<currency>[$€£]\s?)?"
    rf"(?P<num>(?:(?<![\d.])\.\d+|\d+(?:[.,]\d+)*|\b(?:{NUMBER_WORD})\b)(?:\s*(?:%|per\s?cent\b|percent\b))?)"
    rf"(?:\s+(?P<scale>thousand|million|billion|trillion)\b)?"
    rf"(?:(?:\s+(?:of\s+)?|-)(?P<unit>[A-Za-z-]+)(?:\s+(?P<unit2>[A-Za-z-]+))?)?",
    re.I,
)


MONTH = rf"(?:{'|'.join(m.capitalize() for m in MONTHS)})"


DATE = re.compile(
    rf"\b(?P<month>{MONTH})\b"
    rf"|\b(?P<weekday>{'|'.join(d.capitalize() for d in WEEKDAYS)})\b"
    r"|\b(?P<year>(?:1[89]|20)\d\d)\b"
)


YEAR = r"(?:1[89]|20)\d\d(?![-–/]?\w)"  # not a range, a decade or a name: "2005-06", "1990s", "2019-nCoV"


DATE_BOUND = re.compile(
    rf"\b(?P<bound>{_alternatives(YEAR_BEFORE | YEAR_AFTER)})\s+(?:(?P<month>{MONTH})\s+)?(?P<year>{YEAR})\b", re.I
)


EVENT_DATE = re.compile(
    rf"(?<![-–/])(?<![-–/]\s)\b(?:(?P<month>{MONTH})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?)?(?P<year>{YEAR})\b"
    r"(?!\s*[-–]\s*\d)"
)


NO_EVENT_BEFORE = re.compile(rf"\b(?:{_alternatives(YEAR_NOT_A_DATE)})\s+(?:the\s+)?$", re.I)


NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|n't|failed to|fails to|fail to|"
    r"unable to|refused to|refuses to|denied|denies|deny|rejected|rejects|false|untrue)\b|n't\b",
    re.I,
)


ENTITY = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w’'-]*)*")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Cue:
    kind: str  # number | date | negation | opposite | entity; denied | passed_on | aside (frames.Framed, frames.Aside)
    claim: Span | None
    statement: Span | None
    detail: str


@dataclass(frozen=True, slots=True)
class Quantity:
    span: Span  # the figure with its unit: "about 15 civilians"
    figure: Span  # the figure alone, with its modifier, currency and scale: "about 15", "more than $3 million"
    low: float
    high: float
    units: frozenset[str]
    rounding: float = 0.0  # how far the value it was rounded from may be, for a bare figure (`_rounding`)
    bounded: bool = False  # a bound, not a value: "more than 100", "at most 20"

    def claimed(self) -> tuple[float, float]:
        """The values a claim's figure allows: a bare figure may have been rounded, a statement's is as said."""
        return self.low - self.rounding, self.high + self.rounding


def _unit(word: str | None) -> str | None:
    if not word or word.lower() in NOT_UNITS or word.lower() in STOPWORDS:
        return None
    w = word.lower()
    w = UNIT_ALIASES.get(w, w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


WORD = re.compile(r"\w+")
TOKEN = re.compile(r"[\w’'-]+|,")  # a word of a name's neighbours, or a comma
# the most characters a word is taken to take: the words around a span are read from a bounded stretch of text, so
# reading them for every figure, date or name of a statement stays linear in its length
LOOK = 64


def _near(text: str, span: Span, words: int) -> list[str]:
    """The words within `words` words either side of a span."""
    before = WORD.findall(text, max(0, span.start - LOOK * words), span.start)[-words:]
    return before + [m.group() for m in islice(WORD.finditer(text, span.end), words)]


MONTH_NAME = re.compile(rf"\b{MONTH}\b", re.I)


def _day_of_month(text: str, m: re.Match[str]) -> bool:
    """A number of one or two digits next to a month's name: "March 23", "23 March"."""
    if not (m.group("num").isdigit() and len(m.group("num")) <= 2):
        return False
    return any(MONTH_NAME.fullmatch(w) for w in _near(text, Span(m.start("num"), m.end("num"), ""), 1))


def _rounding(raw: str, value: float) -> float:
    """How far a bare figure may be from the value it was rounded from, by its last digit: "45 million" may be
    45.1 million, "112,000" may be 112,113 and not 113,000; never more than ROUNDING of it, so "200" is not 240."""
    digits = raw.rstrip("%").replace(",", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?", digits) or not float(digits):
        return 0.0
    whole, _, decimals = digits.partition(".")
    step = 10.0 ** -len(decimals) if decimals else 10.0 ** (len(whole) - len(whole.rstrip("0")))
    return min(0.45 * step * value / float(digits), ROUNDING * value)


def quantities(text: str) -> list[Quantity]:
    found = []
    for m in QUANTITY.finditer(text):
        num = m.group("num").lower()
        share = re.search(r"\s*(?:%|per\s?cent)$", num)
        figure = num[: share.start()] if share else num  # "40", ".02", "forty", "a dozen"
        raw = ("0" if figure.startswith(".") else "") + figure.replace(" ", "") + ("%" if share else "")
        if re.fullmatch(r"(?:1[89]|20)\d\d", raw) and not m.group("mod"):
            continue  # a year: dates handle it
        glued = m.start("num") > 0 and text[m.start("num") - 1] in "-–/:"
        if (glued or re.fullmatch(r"\d+[.,]\d+[.,]\d+.*", raw)) and "," not in raw:
            continue  # a code, score or date like 2025-01-27
        after = text[m.end("num") : m.end("num") + 2]
        letter_before = m.start("num") > 0 and text[m.start("num") - 1].isalnum()
        if letter_before or re.match(r"[A-Za-z]|[-–/:]\d", after) or _day_of_month(text, m):
            continue  # part of a name, a score or a date: "76ers", "2-2", "6/10", "March 23"
        if raw in VAGUE_NUMBERS:
            low, high = VAGUE_NUMBERS[raw]
        else:
            value = SMALL_NUMBERS.get(" ".join(figure.split()))
            if value is not None:  # as round as its figure: "forty" as "40"
                raw = str(value) + ("%" if share else "")
            else:
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
            low, high = (math.nextafter(low, math.inf) if mod in STRICT_BOUNDS else low), math.inf
        elif mod in AT_MOST:
            low, high = 0.0, (math.nextafter(high, 0.0) if mod in STRICT_BOUNDS else high)
        first, second = _unit(m.group("unit")), _unit(m.group("unit2"))
        units = frozenset({"%"} if raw.endswith("%") else {u for u in (first, second if first else None) if u})
        if m.group("currency"):
            units |= {m.group("currency").strip()}
        figure_end = m.end("scale") if m.group("scale") else m.end("num")
        end = m.end("unit") if first else figure_end
        found.append(
            Quantity(
                Span(m.start(), end, text[m.start() : end]),
                Span(m.start(), figure_end, text[m.start() : figure_end]),
                low,
                high,
                units,
                0.0 if m.group("mod") or raw in VAGUE_NUMBERS else _rounding(raw, low),
                mod in AT_LEAST or mod in AT_MOST,
            )
        )
    return found


def measure_words(text: str, quantity: Quantity) -> set[str]:
    """Content-word stems around a figure, other figures left out: what it counts ("urban population" of "an urban
    population of 193,658")."""
    return _around(text, quantity.span, FIGURE_WINDOW, figures=False)


def number_cues(claim: str, statement: str) -> list[Cue]:
    cues = []
    theirs = quantities(statement)
    for q in quantities(claim)[:CLAIM_FIGURES]:
        same_unit = [t for t in theirs if t.units & q.units]
        low, high = q.claimed()
        if same_unit and not any(t.low <= high and low <= t.high for t in same_unit):
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


def _around(text: str, span: Span, words: int = EVENT_WINDOW, figures: bool = True) -> set[str]:
    """Content-word stems within `words` words either side of a span (what a date is the date of, what a figure
    counts); without words that hold a digit where `figures` is false."""
    near = _near(text, span, words)
    return set(content_words(" ".join(w for w in near if figures or not any(ch.isdigit() for ch in w))))


def _months(m: re.Match[str]) -> tuple[int, int]:
    """The first and last month (year × 12 + month) of a date to the month or to the year."""
    year = int(m["year"]) * 12
    if m["month"]:
        month = year + MONTHS.index(m["month"].lower())
        return month, month
    return year, year + 11


@dataclass(frozen=True, slots=True)
class Dated:
    span: Span  # the date as written: "March 4, 2018", "2016"
    first: int  # its first and last month, year × 12 + month
    last: int
    said: str  # to the month or the year: "March 2018", "2016"


@dataclass(frozen=True, slots=True)
class DateBound:
    span: Span  # the bound with its date: "before 2015", "after February 2019"
    date: Span  # the date alone
    first: int  # the months it allows, year × 12 + month
    last: int


def date_bounds(text: str) -> list[DateBound]:
    """The years and months a text bounds rather than gives: "released before 2015" allows any month up to
    December 2014, "after February 2019" any from March 2019."""
    found = []
    for m in DATE_BOUND.finditer(text):
        first, last = _months(m)
        allowed = (0, first - 1) if m["bound"].lower() in YEAR_BEFORE else (last + 1, 10**6)
        start = m.start("month") if m["month"] else m.start("year")
        date = Span(start, m.end(), text[start : m.end()])
        found.append(DateBound(Span(m.start(), m.end(), m.group()), date, *allowed))
    return found


def event_dates(text: str) -> list[Dated]:
    """The dates, to the month or the year, that a text dates something in: not a bound, a span or one end of a
    range ("since 2010", "from 2009 to 2016", "2006–2009")."""
    found = []
    for m in EVENT_DATE.finditer(text):
        if NO_EVENT_BEFORE.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        said = f"{m['month']} {m['year']}" if m["month"] else m["year"]
        found.append(Dated(Span(m.start(), m.end(), m.group()), *_months(m), said))
    return found


def event_words(text: str, span: Span) -> set[str]:
    """Content-word stems around a date, figures and other dates left out: what it dates."""
    return _around(text, span, figures=False)


def _capitalised(text: str, span: Span, words: int = EVENT_WINDOW) -> set[str]:
    """Stems of the capitalised words within `words` words either side of a span: the names near it."""
    return {stem(w.lower()) for w in _near(text, span, words) if w[0].isupper()}


def bound_reading(claim: str, bound: DateBound, statement: str) -> tuple[Dated, bool] | None:
    """The statement's date for the event the claim bounds, and whether it is outside the bound: the date whose
    words around share the most with the bound's, names counted only between dates that share as many other
    words (a report's date beside its subject, "On March 4, 2018, Holt announced that she had suffered a
    miscarriage in late February 2018"), of dates as close one within the bound. None where no date shares a
    word, or the closest falls within the bound only in part ("after February 2005" against "2005")."""
    around = event_words(claim, bound.span)
    names = around & _capitalised(claim, bound.span)
    best, best_key = None, (0, 0, 0)
    for dated in event_dates(statement):
        theirs = event_words(statement, dated.span)
        shared = (sum(has_stem(theirs, w) for w in around - names), sum(has_stem(theirs, w) for w in names))
        within = bound.first <= dated.first and dated.last <= bound.last
        outside = dated.last < bound.first or bound.last < dated.first
        key = (*shared, 2 if within else 1 if outside else 0)
        if any(shared) and key > best_key:
            best, best_key = (dated, outside) if within or outside else None, key
    return best


def date_cues(claim: str, statement: str) -> list[Cue]:
    """A date of the claim that the statement gives otherwise for the same event: the words around the two dates
    share a content word ("summit on Friday" / "on Monday ... called for a summit"), so a statement that dates
    something else in another year is no conflict."""
    cues = []
    ours, theirs = _dates(claim), _dates(statement)
    bounds = date_bounds(claim)[:CLAIM_FIGURES]
    for kind, spans in ours.items():
        other = theirs[kind]
        values = {s.text.lower() for s in other}
        for s in spans[:CLAIM_FIGURES]:
            if not other or s.text.lower() in values:
                continue
            context = _around(claim, s) - {stem(o.text.lower()) for o in other}
            same_event = next((o for o in other if context & _around(statement, o)), None)
            if same_event is None:
                continue
            bound = next((b for b in bounds if b.date.start <= s.start < b.date.end), None)
            reading = bound_reading(claim, bound, statement) if bound else None
            if bound and not (reading and reading[1]):
                continue  # "before 2015" against "2013": within the bound, or no date of the same event outside it
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


def same_party(claim_before: str, statement_before: str) -> bool:
    """Whether the claim's words before its verb and the statement's before its own share a content word, both
    verbs active: the verbs of WINNING say who won or lost, and mean the opposite only of the same party ("she was
    captured" says she lost)."""
    if _last_word(claim_before) in PASSIVE or _last_word(statement_before) in PASSIVE:
        return False
    theirs = set(content_words(statement_before))
    return any(has_stem(theirs, word) for word in content_words(claim_before))


def _last_word(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    return words[-1] if words else ""


def opposite_cues(claim: str, statement: str) -> list[Cue]:
    """One side of an OPPOSITES pair in the claim, only the other side in the statement (of who won or lost, only
    where both name the same party: `same_party`)."""
    ours = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(claim.lower())]
    theirs = [(m.group(), m.start(), m.end()) for m in OPPOSITE_WORD.finditer(statement.lower())]
    our_words, their_words = {w for w, _, _ in ours}, {w for w, _, _ in theirs}
    cues = []
    for axis, (one, other) in enumerate(OPPOSITES):
        for side, opposite in ((one, other), (other, one)):
            if our_words & side and their_words & opposite and not their_words & side and not our_words & opposite:
                _, a, b = next(t for t in ours if t[0] in side)
                _, c, d = next(t for t in theirs if t[0] in opposite)
                if axis == WINNING and not same_party(claim[:a], statement[:c]):
                    continue
                cues.append(
                    Cue(
                        "opposite",
                        Span(a, b, claim[a:b]),
                        Span(c, d, statement[c:d]),
                        f"claim says {claim[a:b]!r}, statement says {statement[c:d]!r}",
                    )
                )
    return cues


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
        before = TOKEN.findall(text, max(0, start - LOOK * 3), start)  # the word before, past an article or two
        after = TOKEN.search(text, m.end())
        prev = next((w.lower() for w in reversed(before) if w.lower() not in {"the", "a", "an"}), None)
        nxt = after.group().lower() if after else None
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


def find_cues(claim: str, statement: str) -> list[Cue]:
    claim, statement = claim[:READ_CHARS], statement[:READ_CHARS]
    return [
        *number_cues(claim, statement),
        *date_cues(claim, statement),
        *negation_cues(claim, statement),
        *opposite_cues(claim, statement),
        *entity_cues(claim, statement),
    ]
