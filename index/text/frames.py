"""Frames that keep a statement from asserting what it reports: a denial ("The embassy dismissed claims that
China is seeking to ...", "There is no evidence that ...", "... falsely claimed that ...") says its content is
false, and a claim passed on from a post or a rumour ("A post shared on Facebook claims that ...") does not vouch
for its content. Beside the statement, the stance model reads whether the claim entails what is denied (if it does,
the statement conflicts with the claim); a passed-on content is no evidence either way. And what a statement says
in passing of a name ("... captured Goma, the capital of North Kivu, ...") is read as a sentence of its own against
a claim that says what that name is."""

import re
from dataclasses import dataclass
from functools import lru_cache

from factdesk.index.text.cues import ENTITY, READ_CHARS, WORD, Cue, Span
from factdesk.index.text.overlap import content_words, has_stem, missing_share

DENIED, PASSED_ON, ASIDE = "denied", "passed_on", "aside"

_DENY = r"(?:den(?:y|ies|ied|ying)|dismiss(?:es|ed|ing)?|reject(?:s|ed|ing)?|refut(?:es|ed|ing)|debunk(?:s|ed|ing)?|"
_DENY += r"disput(?:es|ed|ing)|disprov(?:es|ed|ing))"
_REPORTS = r"(?:claims?|reports?|rumou?rs?|allegations?|accusations?|assertions?|fears?|notion|idea|stor(?:y|ies))"
_FALSE = r"(?:false|fake|baseless|unfounded|bogus|debunked|unsubstantiated|fabricated|untrue)"
DENIAL = re.compile(
    rf"\b(?:{_DENY} (?:the |these |those |such |all |any )?(?:{_FALSE} )?{_REPORTS} that"
    r"|den(?:y|ies|ied|ying) that"
    r"|no (?:credible |scientific )?evidence (?:that|to suggest that|to support (?:the )?claims? that"
    r"|(?:showing|to show) that)"
    r"|falsely (?:claim|say|said|state|report|suggest|assert|allege)\w*(?: that)?"
    rf"|{_FALSE} {_REPORTS} (?:that|saying(?: that)?|claiming(?: that)?)"
    r"|(?:myth|hoax|conspiracy theor(?:y|ies)|falsehood) (?:that|claiming(?: that)?)"
    r"|it (?:is|was|'s|’s) (?:not true|false|untrue|a myth) that) ",
    re.I,
)
# where a claim comes from when it is passed on: not a speaker who vouches for it
_SOURCES = r"(?:posts?|messages?|videos?|images?|photos?|memes?|tweets?|screenshots?|rumou?rs?|chain letters?|"
_SOURCES += r"social media)"
PASSING_ON = re.compile(
    rf"\b{_SOURCES}\b[^.;:“”\"]{{0,60}}? (?:claim(?:s|ed|ing)?(?: that)?|alleg(?:es|ed|ing) that"
    r"|purport(?:s|ed|ing)? to show(?: that)?) ",
    re.I,
)

# the same frames after what they frame: "Rebels have captured Goma, the army denied." Not "rejected", which
# segment.DENYING_VERBS also keeps out of reported speech: trailing, it is mostly passive ("..., or the ballot
# will be rejected"), no speaker's denial
TRAILING = re.compile(
    r",\s+(?P<who>(?:the |a |an )?[\w’'.-]+(?: [\w’'.-]+){0,6}) (?P<verb>den(?:ied|ies)|disput(?:ed|es)|"
    r"claim(?:ed|s)|alleg(?:ed|es))\s*[.!?]?[\"”’]?$"
)
SOURCE = re.compile(rf"\b{_SOURCES}\b", re.I)


# where what a frame reports ends: a clause of its own after it ("..., noting that ...", "— ...")
CLAUSE_END = re.compile(r"\s*(?:[—–;]| - |, (?:\w+ing|according to|as|while|but|which|who)\b)")


@dataclass(frozen=True, slots=True)
class Framed:
    kind: str  # DENIED or PASSED_ON
    content: str  # what the statement reports, without the frame
    frame: tuple[int, int] = (0, 0)  # where the frame's words are in the statement

    def cue(self, statement: str) -> Cue:
        """The frame as a reason a reader sees beside the evidence (no feature of the verdict)."""
        start, end = self.frame
        said = "the statement denies" if self.kind == DENIED else "passed on, not vouched for"
        return Cue(self.kind, None, Span(start, end, statement[start:end]), f"{said}: “{self.content}”")


@lru_cache(maxsize=4096)  # a check asks about its claim once for each statement of its pool
def framed(statement: str) -> Framed | None:
    """The frame of a statement that does not assert what it reports, and that content; None when there is none,
    or fewer than three words follow it."""
    statement = statement[:READ_CHARS]
    for kind, pattern in ((DENIED, DENIAL), (PASSED_ON, PASSING_ON)):
        m = pattern.search(statement)
        content = CLAUSE_END.split(statement[m.end() :], maxsplit=1)[0].strip(" ,.") if m else ""
        if m and len(content.split()) >= 3:
            return Framed(kind, content[0].upper() + content[1:] + ".", (m.start(), m.end() - 1))
    m = TRAILING.search(statement)
    if m and len(statement[: m.start()].split()) >= 3:
        content = statement[: m.start()].strip(" ,") + "."
        if m["verb"].startswith(("den", "disput")):
            return Framed(DENIED, content, (m.start("who"), m.end("verb")))
        if SOURCE.search(m["who"]):
            return Framed(PASSED_ON, content, (m.start("who"), m.end("verb")))
    return None


def frame_of(claim: str, statement: str) -> Framed | None:
    """The statement's frame as it bears on the claim: none where the claim has a frame of the same kind (a claim
    about what a post says is read against the post as it stands), nor where what it frames has less than a third of
    the claim's content words (it is about something else)."""
    ours, theirs = framed(claim), framed(statement)
    if theirs is None or (ours is not None and ours.kind == theirs.kind):
        return None
    return theirs if missing_share(claim, theirs.content) <= 2 / 3 else None


# what a statement says of a name in passing, between commas: "Goma, the capital of North Kivu, ..."
# (a name of at most six words of at most 40 letters, from a word's start, so that looking for one is linear)
_NAME = r"\b[A-Z][\w’'-]{0,40}(?:\s(?:of\s|de\s)?[A-Z][\w’'-]{0,40}){0,5}"
APPOSITION = re.compile(rf"(?P<name>{_NAME}), (?P<what>(?:the|a|an) [^,;:.()“”\"]{{3,80}}?)(?:, |\.?$)")
MAX_ASIDES = 2  # a statement's asides read against a claim, each a pair the model reads
# a claim that says what a name is: "Goma is the capital of South Kivu"
DEFINES = re.compile(rf"^(?:The )?(?P<name>{ENTITY.pattern}) (?P<verb>is|was|are|were|remains) (?P<what>.+)$")


@dataclass(frozen=True, slots=True)
class Aside:
    text: str  # what a statement says in passing of a name, as a sentence in the claim's verb
    span: tuple[int, int]  # where the statement says it

    def cue(self, statement: str) -> Cue:
        """The aside as the reason for a statement's reading, where it decided it (no feature of the verdict)."""
        start, end = self.span
        return Cue(ASIDE, None, Span(start, end, statement[start:end]), f"the statement says in passing: “{self.text}”")


def appositions(claim: str, statement: str) -> list[Aside]:
    """What the statement says in passing of the name the claim says what it is, as a sentence in the claim's
    verb, where the two say it with a word in common: "Goma is the capital of South Kivu" against "... captured
    Goma, the capital of North Kivu, in ..." → "Goma is the capital of North Kivu." The model reads the claim
    against it beside the whole statement, whose reading is of its main clause."""
    m = DEFINES.match(claim.strip().rstrip("."))
    if m is None:
        return []
    statement = statement[:READ_CHARS]
    name = WORD.findall(m["name"].lower())
    ours = set(content_words(m["what"]))
    found: list[Aside] = []
    for a in APPOSITION.finditer(statement):
        theirs = WORD.findall(a["name"].lower())
        if theirs[len(theirs) - len(name) :] == name and any(has_stem(ours, w) for w in content_words(a["what"])):
            aside = Aside(f"{m['name']} {m['verb']} {a['what']}.", (a.start(), a.end("what")))
            if all(aside.text != other.text for other in found):
                found.append(aside)
            if len(found) == MAX_ASIDES:
                break
    return found
