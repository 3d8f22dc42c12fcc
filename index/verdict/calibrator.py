"""The verdict calibrator: shipped fits per stance model and calibration profile, read from calibration.json."""

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from factdesk.index.errors import InvalidInput

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


CALIBRATIONS = ("general", "news")  # the fits a stance model ships with; the first is the default


@dataclass(frozen=True, slots=True)
class Calibrator:
    """P(verdict | features) = softmax(intercept + coef · features), one row per verdict."""

    classes: tuple[str, ...]
    features: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    fitted_on: str = ""
    min_confidence: float = 0.0  # the default level, chosen with the fit (decided verdicts right ≥ 80% there)
    model_sha256: str = ""  # of the stance model whose scores it was fitted on
    # decide a verdict only when a statement of the evidence takes its side (index.verdict.decide.backed): the
    # fit's prior, the dev sets' mix of true and false claims, never decides alone
    needs_its_side: bool = False
    domain_sha256: str = ""  # of the domain model (index.verdict.domain) whose scores it was fitted on

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        x = [features[name] for name in self.features]
        logits = [
            b + sum(w * v for w, v in zip(row, x, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return {label: exp[i] / total for i, label in enumerate(self.classes)}

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "features": list(self.features),
            "coef": [list(row) for row in self.coef],
            "intercept": list(self.intercept),
            "fitted_on": self.fitted_on,
            "min_confidence": self.min_confidence,
            "model_sha256": self.model_sha256,
            "needs_its_side": self.needs_its_side,
            "domain_sha256": self.domain_sha256,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Calibrator":
        return cls(
            tuple(data["classes"]),
            tuple(data["features"]),
            tuple(tuple(float(w) for w in row) for row in data["coef"]),
            tuple(float(b) for b in data["intercept"]),
            str(data.get("fitted_on", "")),
            float(data.get("min_confidence") or 0.0),
            str(data.get("model_sha256", "")),
            bool(data.get("needs_its_side", False)),
            str(data.get("domain_sha256", "")),
        )


@cache
def _fits(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """stance model → calibration profile → fit."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["models"]


def model_digest(directory: Path) -> str:
    """SHA-256 of a stance model directory's ONNX file; of an averaging one's members' digests and weights (and its
    `unsure_below`)."""
    from factdesk.index.stance.model import ensemble_members, unsure_below

    members = ensemble_members(directory)
    if members:
        listed = " ".join(f"{model_digest(path)}:{weight:.6f}" for path, weight in members)
        if (level := unsure_below(directory)) is not None:
            listed += f" unsure_below:{level:.6f}"
        return hashlib.sha256(listed.encode()).hexdigest()
    return hashlib.sha256((Path(directory) / "model.onnx").read_bytes()).hexdigest()


def load_calibrator(
    stance_model: str, calibration: str = CALIBRATIONS[0], path: Path = CALIBRATION_FILE
) -> Calibrator | None:
    """The shipped fit of this profile for this stance model (by its name), or None when the model has no fit at
    all (`--stance cues`); ValueError for a profile it lacks. A test holds each fit to the model file it was made
    with (`model_sha256`): a retrained model is calibrated again before it ships."""
    calibration = parse_calibration(calibration)
    fits = _fits(path).get(stance_model)
    if not fits:
        return None
    if calibration not in fits:
        raise InvalidInput(f"stance model {stance_model} has no {calibration!r} calibration")
    return Calibrator.from_json(fits[calibration])


def parse_calibration(text: str | None) -> str:
    """A calibration profile's name (FACTDESK_CALIBRATION, --calibration); None or empty: the default."""
    if text is None or not text.strip():
        return CALIBRATIONS[0]
    if text not in CALIBRATIONS:
        raise InvalidInput(f"unknown calibration {text!r} ({', '.join(CALIBRATIONS)})")
    return text
