"""Which language a text is in (py3langid: langid.py's model, bundled in the package, no network, a fraction of a
millisecond a sentence). factdesk's models read English: a claim in another language would get a confident
verdict from statements it cannot compare, so the service refuses it instead.
"""

import re
import threading
from dataclasses import dataclass
from functools import cache

# a text counts as not English when another language is the most likely and English has less than this
# probability (benchmarks/language.py: no dev claim of either set refused; figures in docs/benchmarks.md)
NOT_ENGLISH = 0.01
SAMPLE_CHARS = 5_000  # of an article: enough to tell its language
MIN_WORDS = 3  # a name or two ("Goma", "Kagame") reads as any language: shorter texts count as English
# a capitalised word inside a sentence (a name: "Mukamana-Niyonzima", "Rwasozi") or a figure says nothing of the
# language a claim is written in, and names from one region read as that region's language
_NAME_OR_FIGURE = re.compile(r"(?<![.!?:;\n]\s)(?<!^)\b[A-Z][\w'’.-]*|\S*\d\S*")


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1 (or 639-3 where there is none), e.g. "en", "fr", "pcm"
    probability: float
    english: float  # the probability that it is English

    @property
    def is_english(self) -> bool:
        return self.code == "en" or self.english >= NOT_ENGLISH


_lock = threading.Lock()


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> Language:
    with _lock:  # the identifier is built once; threads share it
        ranked = dict(_identifier().rank(text[:SAMPLE_CHARS]))
    code = max(ranked, key=ranked.__getitem__)
    return Language(code, round(float(ranked[code]), 4), round(float(ranked.get("en", 0.0)), 4))


def words_of_the_language(text: str) -> str:
    """The text without its names and figures: what tells the language of a claim."""
    return " ".join(_NAME_OR_FIGURE.sub(" ", text).split())


def claim_language(text: str) -> Language | None:
    """The language of a claim or draft, read from its words other than names (None: too few to tell)."""
    words = words_of_the_language(text[:SAMPLE_CHARS])
    return detect_language(words) if len(re.findall(r"\w+", words)) >= MIN_WORDS else None


def not_english(text: str) -> str | None:
    """Why a claim or draft cannot be checked for its language (None: it reads as English).

    Refused only when the text reads as another language both whole and without its names: names make English
    news about Rwanda read as Kinyarwanda, and without its technical terms ("ChAdOx1", "SARS-CoV-2") a science
    claim may read as anything.
    """
    found = claim_language(text)
    if found is None or found.is_english or detect_language(text).is_english:
        return None
    return (
        f"the text reads as language {found.code!r} (probability {found.probability:.2f}), not English: factdesk's "
        'models compare English text only (send "language": "en" if it is English)'
    )
