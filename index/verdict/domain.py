"""A claim's domain: the probability that it is a health or medical claim rather than news or politics.

The verdict's fit reads it (the `health` feature and its products with the evidence's features), because the two
kinds of claims bear their evidence out differently on the dev sets: a health claim that the stance model reads as
entailed is often a one-word swap of a paper's finding ("SARS-CoV-2 induced CD8 T cell surveillance" against
"... subvert CD8+ T cell surveillance"), a news claim so read is mostly true. One fit learns both, each claim
weighing its evidence as claims of its kind do, where one fit for both kinds had to trust entailment as little as
the health claims bear out.

A logistic regression over the claim's sentence embedding (which the check computes anyway), fitted by
`training/fit_domain.py` on sentences of neither dev set: HealthVer's COVID-19 health claims and abstract sentences
against news headlines, rumours, political claims and debate sentences. It reads health and medicine, not science
at large ("The James Webb telescope found water on an exoplanet" is news to it). `domain.json` holds its weights,
data and held-out figures.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DOMAIN_FILE = Path(__file__).with_name("domain.json")


@dataclass(frozen=True)
class ClaimDomain:
    embedding: np.ndarray  # weights of the claim embedding's dimensions
    bias: float
    about: dict[str, Any]  # data, command and held-out figures of the fit

    def health(self, vector: np.ndarray) -> float:
        """P(health or medical claim) of a claim, from its (normalised) sentence embedding."""
        logit = float(np.asarray(vector, dtype=np.float32) @ self.embedding) + self.bias
        return round(1 / (1 + math.exp(-logit)), 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "embedding": [round(float(w), 6) for w in self.embedding],
            "bias": round(self.bias, 6),
            "about": self.about,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ClaimDomain":
        return cls(np.asarray(data["embedding"], dtype=np.float32), float(data["bias"]), dict(data.get("about", {})))


@cache
def load_domain(path: Path = DOMAIN_FILE) -> ClaimDomain:
    return ClaimDomain.from_json(json.loads(path.read_text(encoding="utf-8")))


def domain_digest(path: Path = DOMAIN_FILE) -> str:
    """SHA-256 of the domain model's file: a fit that reads the domain is held to the model it was made with."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
