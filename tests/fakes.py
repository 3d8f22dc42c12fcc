"""Fakes of factdesk's own protocols, for tests where the model is not what is under test.

`WordEmbedder` stands in for the sentence encoder (`Embedder`): a statement's vector is its hashed bag of words,
so texts that share words are close and the same text always gets the same vector. Paired with the model-free
`CueStance`, an `Archive` runs its whole pipeline (store, vectors, full text, merging, verdict) in milliseconds.
"""

import re
import zlib
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"\w+")


class WordEmbedder:
    """Implements `Embedder`: normalised hashed bag of lower-cased words."""

    name = "hashed-words"
    encoder = "fake"

    def __init__(self, dimension: int = 384) -> None:  # the real encoder's: the check-worthiness model weighs 384
        self.dimension = dimension
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))
