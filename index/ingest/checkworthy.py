"""Check-worthiness: the probability that an annotator would call a sentence a check-worthy factual claim.

A logistic regression over three kinds of features, all cheap at ingest: the sentence's embedding (which ingest
computes anyway for the index), its words and word pairs hashed into NGRAM_BUCKETS buckets (binary, L2-normed),
and the cues the earlier hand-weighted score read (`index.ingest.segment.checkworthiness`: figures, dates, names, event
verbs, a speaker, hedges, a question mark, length). Fitted on the ClaimBuster sentences by
`training/fit_checkworthiness.py`, which writes `checkworthiness.json` with its provenance and figures; its model
card is `CHECKWORTHINESS.md`. A score is that fit's probability, so `min_checkworthiness` = 0.5 means "more
likely check-worthy than not"; the model's default level is chosen on the data (the file's `default_level`).
"""

import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.index.ingest.segment import CAPITALISED, DATE_WORD, EVENT_VERBS, HEDGES, NUMBER, checkworthiness

MODEL_FILE = Path(__file__).with_name("checkworthiness.json")
NGRAM_BUCKETS = 2**14
WORD = re.compile(r"\w+")
FIGURE_WORDS = re.compile(r"%|\b(?:percent|per cent|million|billion|trillion|thousand|hundred|dollars?)\b", re.I)
FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|we|we're|we've|we'll|my|our)\b", re.I)
FEATURES = (
    "heuristic",  # the earlier hand-weighted score
    "figure",
    "figure_word",
    "date",
    "names",  # capitalised words after the first, up to 4, / 4
    "event_verb",
    "speaker",
    "hedge",
    "question",
    "first_person",
    "words",  # word count / 30, at most 2
)


def features(sentence: str, speaker: str | None) -> np.ndarray:
    words = sentence.split()
    return np.array(
        [
            checkworthiness(sentence, speaker),
            bool(NUMBER.search(sentence)),
            bool(FIGURE_WORDS.search(sentence)),
            bool(DATE_WORD.search(sentence)),
            min(4, len(set(CAPITALISED.findall(sentence)))) / 4,
            bool(EVENT_VERBS.search(sentence)),
            speaker is not None,
            bool(HEDGES.search(sentence)),
            sentence.rstrip('”"’ ').endswith("?"),
            bool(FIRST_PERSON.search(sentence)),
            min(2.0, len(words) / 30),
        ],
        dtype=np.float32,
    )


def ngram_buckets(sentence: str) -> dict[int, float]:
    """The sentence's words and adjacent word pairs (lower-cased), each hashed to a bucket, weights L2-normed."""
    tokens = WORD.findall(sentence.lower())
    grams = set(tokens) | {f"{a} {b}" for a, b in pairwise(tokens)}
    buckets = {zlib.crc32(g.encode("utf-8")) % NGRAM_BUCKETS for g in grams}
    if not buckets:
        return {}
    weight = 1 / math.sqrt(len(buckets))
    return dict.fromkeys(buckets, weight)


@dataclass(frozen=True)
class CheckworthinessModel:
    embedding: np.ndarray  # weights of the sentence embedding's dimensions
    cues: np.ndarray  # weights of FEATURES
    ngrams: np.ndarray  # weights of the NGRAM_BUCKETS buckets
    bias: float
    default_level: float  # min_checkworthiness chosen on the data
    about: dict[str, Any]  # data, command and figures of the fit

    def scores(
        self, sentences: Sequence[str], speakers: Sequence[str | None], vectors: np.ndarray | Sequence[np.ndarray]
    ) -> list[float]:
        """The probability each sentence is check-worthy; `vectors`: their embeddings, as the index holds them."""
        if not len(sentences):
            return []
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(sentences), -1)
        logits = matrix @ self.embedding + self.bias
        for i, (sentence, speaker) in enumerate(zip(sentences, speakers, strict=True)):
            logits[i] += float(features(sentence, speaker) @ self.cues)
            logits[i] += sum(self.ngrams[b] * w for b, w in ngram_buckets(sentence).items())
        return [round(float(p), 4) for p in 1 / (1 + np.exp(-logits))]

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "ngram_buckets": NGRAM_BUCKETS,
            "embedding": [round(float(w), 6) for w in self.embedding],
            "cues": [round(float(w), 6) for w in self.cues],
            "ngrams": [round(float(w), 6) for w in self.ngrams],
            "bias": round(self.bias, 6),
            "default_level": self.default_level,
            "about": self.about,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckworthinessModel":
        if tuple(data["features"]) != FEATURES or data["ngram_buckets"] != NGRAM_BUCKETS:
            raise ValueError("checkworthiness model: made for other features (train it again)")
        return cls(
            np.asarray(data["embedding"], dtype=np.float32),
            np.asarray(data["cues"], dtype=np.float32),
            np.asarray(data["ngrams"], dtype=np.float32),
            float(data["bias"]),
            float(data["default_level"]),
            dict(data.get("about", {})),
        )


@cache
def load_model(path: Path = MODEL_FILE) -> CheckworthinessModel:
    return CheckworthinessModel.from_json(json.loads(path.read_text(encoding="utf-8")))
