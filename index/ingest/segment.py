"""Split an article into statements with exact offsets, context, speaker and check-worthiness.

`split_article(text)` returns statements such that `text[s.start:s.end] == s.text`. Sentences end at
`.`, `!` or `?` (plus closing quotes/brackets) followed by space and a capital, digit or opening quote,
except after abbreviations ("Gen.", "U.S.", initials) and inside a quotation that is still open, so that
`“We will win. We will not stop,” he said.` stays one statement. Paragraph breaks always end a sentence.
"""

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "cpt",
        "sgt",
        "adm",
        "brig",
        "cmdr",
        "gov",
        "sen",
        "rep",
        "pres",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "no",
        "nos",
        "vol",
        "fig",
        "art",
        "sec",
        "ch",
        "pp",
        "op",
        "ed",
        "eds",
        "est",
        "approx",
        "dept",
        "univ",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "vs",
        "etc",
        "al",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
    ]
)
NUMBERED = frozenset({"no", "nos", "vol", "fig", "art", "sec", "ch", "pp", "op"})
PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
BOUNDARY = re.compile(r"[.!?]+[\"”’»)\]]*(?=\s+[\"“‘«(\[]?[A-Z0-9])")

REPORTING_VERBS = (
    "said|says|stated|states|told|tells|accused|accuses|warned|warns|added|adds|claimed|claims|announced|"
    "announces|urged|urges|called|calls|insisted|insists|denied|denies|noted|notes|emphasized|emphasised|"
    "emphasizes|underscored|underscores|argued|argues|explained|explains|declared|declares|confirmed|"
    "confirms|reported|reports|alleged|alleges|tweeted|wrote|writes|asserted|stressed|stresses|said in|"
    "acknowledged|admitted|pledged|vowed|demanded|condemned|rejected|blamed|estimated"
)
ROLE_WORDS = (
    "spokesperson|spokesman|spokeswoman|government|minister|ministry|officials?|president|police|army|"
    "military|authorities|commander|leader|secretary|chief|director|office|agency|forces|rebels|group"
)
NAME = r"[A-Z][\w’'.-]*"
SUBJECT = rf"(?:{NAME}|of|the|and|for|{ROLE_WORDS})"
REPORTED = re.compile(
    rf"(?<![\w’'-])({NAME}(?:\s+{SUBJECT})*)(?:,[^,“”\"]{{1,40}},)?\s+(?:has\s+|have\s+|had\s+|also\s+|later\s+)?"
    rf"(?:{REPORTING_VERBS})\b"
)
PRONOUN_REPORTED = re.compile(rf"\b(?:he|she|they)\s+(?:has\s+|had\s+|also\s+)?(?:{REPORTING_VERBS})\b", re.I)
ACCORDING_TO = re.compile(r"\b[Aa]ccording to\s+([^,.;:“”\"]{2,80})")
LEADING_NOISE = re.compile(r"^(?:(?:The|A|An|Meanwhile|However|But|And|Previously|Later|Earlier|On|In)\s+)+")
NOT_A_SPEAKER = frozenset(
    {"Reports", "Sources", "It", "This", "That", "There", "Critics", "Analysts", "He", "She", "They", "We", "I", "You"}
)

NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|"
    r"thousands?|millions?|billions?)\b",
    re.I,
)
DATE_WORD = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"April|May|June|July|August|September|October|November|December|yesterday|today|"
    r"(?:19|20)\d\d)\b"
)
EVENT_VERBS = re.compile(
    r"\b(?:killed|injured|injuring|wounded|died|dead|captured|seized|took|attacked|launched|deployed|ordered|"
    r"closed|arrested|fled|displaced|increased|decreased|rose|fell|won|lost|signed|approved|banned|elected|"
    r"declared|announced|confirmed|reported|crossing|landed|struck|shot|bombed|evacuated|cut off)\b",
    re.I,
)
HEDGES = re.compile(
    r"\b(?:should|could|might|may|hope|hopes|look forward|believe|believes|opinion|wish|deserve|whether|"
    r"all eyes|need for|needs to|must)\b",
    re.I,
)
CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w’'-]+")


# the frame of reported speech or a hedged report around what a sentence reports; a speaker who denies what comes
# before ("..., the army denied") does not assert it
DENYING_VERBS = frozenset({"denied", "denies", "rejected"})
ASSERTING_VERBS = "|".join(v for v in REPORTING_VERBS.split("|") if v not in DENYING_VERBS)
_SAYS = rf"(?:{ASSERTING_VERBS}|told reporters|told [A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)"
TRAILING_ATTRIBUTION = re.compile(
    rf",\s+(?:according to [^,.;“”\"]{{2,80}}|(?:the |a |an )?[\w’'.-]+(?: [\w’'.-]+){{0,6}} {_SAYS}"
    rf"(?: on \w+| in a statement| on (?:X|Twitter))?)\s*[.!?]?[\"”’]?$"
)
LEADING_ATTRIBUTION = re.compile(
    r"^(?:According to [^,.;“”\"]{2,80},\s+|(?:Reports|Sources|Officials) (?:indicate|suggest|say|said|show|"
    r"confirmed)(?: that)?\s+|It (?:was|is|has been) reported(?: that)?\s+|"
    r"(?:The |A |An )?[A-Z][\w’'.-]*(?: [\w’'.-]+){0,6} (?:said|says|stated|confirmed|reported|announced|"
    r"told reporters) that\s+)(?P<content>[^“”\"]+)$"
)


def reported_content(sentence: str) -> str | None:
    """What a sentence of reported speech or a hedged report reports, without the frame: "The bridge was destroyed
    on Sunday, officials said." → "The bridge was destroyed on Sunday." For a fact-checker such a statement asserts
    its content (who says so is its `speaker`); None when there is no frame, or nothing would be left."""
    text = sentence.strip()
    if text.startswith(("“", '"')):
        return None  # a direct quotation: its own words stand
    m = LEADING_ATTRIBUTION.match(text)
    if m:
        content = m.group("content").strip()
        content = content[0].upper() + content[1:]
    elif m := TRAILING_ATTRIBUTION.search(text):
        content = text[: m.start()].rstrip(" ,") + "."
    else:
        return None
    return content if len(content.split()) >= 3 else None


@dataclass(frozen=True, slots=True)
class Statement:
    position: int
    start: int
    end: int
    text: str
    context: str | None
    speaker: str | None
    checkworthiness: float


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; whitespace trimmed so the slice is the sentence."""
    spans: list[tuple[int, int]] = []
    for para in PARAGRAPH.finditer(text):
        p_start, p_end = para.span()
        cuts = _cuts(text, p_start, p_end, track_quotes=True) or _cuts(text, p_start, p_end, track_quotes=False)
        begin = p_start
        for cut in [*cuts, p_end]:
            chunk = text[begin:cut]
            stripped = chunk.strip()
            if stripped:
                lead = len(chunk) - len(chunk.lstrip())
                spans.append((begin + lead, begin + lead + len(stripped)))
            begin = cut
    return spans


def _cuts(text: str, start: int, end: int, *, track_quotes: bool) -> list[int] | None:
    """Sentence ends inside [start, end); None when quotes do not balance (caller retries without them)."""
    cuts = []
    curly = straight = 0  # quote counts of text[start:counted], kept up to date as boundaries go by
    counted = start
    for m in BOUNDARY.finditer(text, start, end):
        if _after_abbreviation(text, start, m.start()):
            continue
        if track_quotes:
            c, q = _quote_counts(text[counted : m.end()])
            curly, straight, counted = curly + c, straight + q, m.end()
            if curly + straight % 2 > 0:
                continue
        cuts.append(m.end())
    if track_quotes:
        c, q = _quote_counts(text[counted:end])
        if curly + c + (straight + q) % 2 != 0:
            return None
    return cuts


def _quote_counts(chunk: str) -> tuple[int, int]:
    """(curly opening minus closing quotes, straight quotes)."""
    curly = sum(chunk.count(q) for q in "“«") - sum(chunk.count(q) for q in "”»")
    return curly, chunk.count('"')


def _after_abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([\w.-]+)$", text[max(start, dot - 40) : dot])  # a bounded look-back keeps this linear
    if not word:
        return False
    token = word.group(1)
    last = token.rsplit("-", 1)[-1].rsplit(".", 1)[-1] if "." not in token.rstrip(".") else token
    if "." in token:  # U.S, e.g, a.m
        return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token))
    if last.lower() in NUMBERED:  # "No. 5", but "said no. Then"
        return bool(re.match(r"\.\s*\d", text[dot : dot + 4]))
    return last.lower() in ABBREVIATIONS or (len(last) == 1 and last.isupper())


def find_speaker(sentence: str, previous_speaker: str | None = None) -> str | None:
    """Who the sentence attributes its content to, when it is a quote or reported speech."""
    m = ACCORDING_TO.search(sentence)
    if m:
        return _clean_speaker(m.group(1))
    for m in REPORTED.finditer(sentence):
        speaker = _clean_speaker(m.group(1))
        if speaker:
            return speaker
    if PRONOUN_REPORTED.search(sentence) and previous_speaker:
        return previous_speaker
    return None


def _clean_speaker(raw: str) -> str | None:
    speaker = LEADING_NOISE.sub("", raw.strip(" ,")).strip()
    if not speaker or speaker in NOT_A_SPEAKER or not speaker[0].isupper():
        return None
    return speaker


def checkworthiness(sentence: str, speaker: str | None) -> float:
    """Heuristic score in [0, 1]: concrete, attributable, verifiable facts score high.

    Base 0.2; +0.25 a number; +0.1 a date; +0.05 per named entity (at most 0.2); +0.15 an event verb
    (killed, captured, ordered, ...); +0.1 attributed to a speaker; +0.1 for 8-60 words; -0.2 for hedged or
    forward-looking language (should, hope, whether, ...); -0.3 for a question; under 5 words caps at 0.2.
    """
    words = sentence.split()
    score = 0.2
    score += 0.25 if NUMBER.search(sentence) else 0.0
    score += 0.1 if DATE_WORD.search(sentence) else 0.0
    score += min(0.2, 0.05 * len(set(CAPITALISED.findall(sentence))))
    score += 0.15 if EVENT_VERBS.search(sentence) else 0.0
    score += 0.1 if speaker else 0.0
    score += 0.1 if 8 <= len(words) <= 60 else 0.0
    score -= 0.2 if HEDGES.search(sentence) else 0.0
    score -= 0.3 if sentence.rstrip('”"’ ').endswith("?") else 0.0
    if len(words) < 5:
        score = min(score, 0.2)
    return round(min(1.0, max(0.0, score)), 3)


def split_article(text: str) -> list[Statement]:
    statements: list[Statement] = []
    previous_speaker: str | None = None
    for position, (start, end) in enumerate(sentence_spans(text)):
        sentence = text[start:end]
        speaker = find_speaker(sentence, previous_speaker)
        previous_speaker = speaker or previous_speaker
        statements.append(
            Statement(
                position=position,
                start=start,
                end=end,
                text=sentence,
                context=statements[-1].text if statements else None,
                speaker=speaker,
                checkworthiness=checkworthiness(sentence, speaker),
            )
        )
    return statements
