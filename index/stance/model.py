"""The shipped NLI cross-encoders at inference: onnxruntime + tokenizers, no torch."""

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Encoding, Tokenizer

from factdesk.index.errors import InvalidInput
from factdesk.index.onnxrt import ParallelSession
from factdesk.index.stance.labels import LABELS

SHIPPED = Path(__file__).with_name("nli-minilm-l6")  # the 6-layer network, which every check reads with
FAST = Path(__file__).with_name("nli-minilm-l3")  # 3 layers distilled from it: faster, a little less accurate
LARGE = Path(__file__).with_name("nli-minilm-l12")  # 12 layers, shipped only as a member of the two below
ACCURATE = Path(__file__).with_name("nli-minilm-l6-l12")  # the mean of the 6- and the 12-layer model, every pair
DEFAULT = Path(__file__).with_name("nli-minilm-l6-l12-unsure")  # the mean where the 6-layer one is unsure
MAX_LENGTH = 128
MEMBERS = "members.json"  # in a directory that averages other models: {"members": {path: weight}, "unsure_below": p}


class StanceModel:
    """Entailment / neutral / contradiction probabilities for (premise, hypothesis) pairs."""

    labels = LABELS

    def __init__(self, directory: Path = SHIPPED, threads: int | None = None, filename: str = "model.onnx") -> None:
        self.directory = Path(directory)
        self.name = self.directory.name
        self._runs = ParallelSession(self.directory / filename, threads)
        self._tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_LENGTH, strategy="longest_first")
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # Tokenizer objects are not safe to share across threads

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 1) -> np.ndarray:
        """Probabilities, one row per pair, columns in `LABELS` order.

        One pair a run by default: unpadded, and a pair's scores never depend on the pairs beside it, so a pair
        that occurs more than once (a wire copy under several publishers, concurrent checks of one claim) runs once.
        """
        if not pairs:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        unique = list(dict.fromkeys(pairs))
        if len(unique) < len(pairs):
            row = {pair: i for i, pair in enumerate(unique)}
            return self.predict(unique, batch_size)[[row[pair] for pair in pairs]]
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        encodings = self.tokenize(pairs)

        def softmax(rows: list[int], logits: np.ndarray, _mask: np.ndarray) -> None:
            shifted = np.exp(logits - logits.max(1, keepdims=True))
            out[rows] = shifted / shifted.sum(1, keepdims=True)

        self._runs.run_sorted(encodings, batch_size, "logits", softmax)
        return out

    def tokenize(self, pairs: Sequence[tuple[str, str]]) -> list[Encoding]:
        with self._lock:
            return self._tokenizer.encode_batch(list(pairs))


def _members_spec(directory: Path) -> dict[str, Any] | None:
    """The parsed `members.json` of an averaging model directory; None for a directory that holds one model."""
    spec = Path(directory) / MEMBERS
    return json.loads(spec.read_text(encoding="utf-8")) if spec.is_file() else None


def ensemble_members(directory: Path) -> list[tuple[Path, float]]:
    """The member directories of an averaging model directory (paths relative to it) with their weights, summing
    to 1; empty for a directory that holds one model."""
    spec = _members_spec(directory)
    if spec is None:
        return []
    members = {Path(directory, path).resolve(): float(weight) for path, weight in spec["members"].items()}
    if len(members) < 2 or min(members.values()) <= 0:
        raise InvalidInput(
            f"{Path(directory) / MEMBERS} must list two or more member directories, each with a weight above 0"
        )
    total = sum(members.values())
    return [(path, weight / total) for path, weight in members.items()]


def unsure_below(directory: Path) -> float | None:
    """An averaging directory's `unsure_below`: the others read a pair only where the first member's likeliest
    label is below it (None: every pair)."""
    level = (_members_spec(directory) or {}).get("unsure_below")
    if level is not None and (isinstance(level, bool) or not (isinstance(level, int | float) and 0 < level <= 1)):
        raise InvalidInput(f"{Path(directory) / MEMBERS}: unsure_below must be a number above 0 and at most 1")
    return None if level is None else float(level)


class EnsembleModel:
    """The weighted mean of several stance models' probabilities: models that read differently (another depth,
    another base) are right on different pairs, and their mean more often than either.

    With `unsure_below` (members.json) the first member reads every pair and the others only the pairs it is
    unsure of (its likeliest label below that probability); a pair it is sure of keeps its reading. Most of a
    check's statements are plainly neutral to the claim, so the slower members read a few of them.
    """

    labels = LABELS

    def __init__(self, directory: Path, threads: int | None = None) -> None:
        self.directory = Path(directory)
        self.name = self.directory.name
        self.members = [(StanceModel(path, threads), weight) for path, weight in ensemble_members(directory)]
        self.unsure_below = unsure_below(directory)

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 1) -> np.ndarray:
        """As `StanceModel.predict`: one row per pair, columns in `LABELS` order."""
        (first, first_weight), *others = self.members
        read = first.predict(pairs, batch_size)
        sure = read.max(1) >= (self.unsure_below if self.unsure_below is not None else np.inf)
        rows = np.flatnonzero(~sure)
        if not len(rows):
            return read
        asked = [pairs[i] for i in rows]
        mean = first_weight * read[rows]
        for model, weight in others:
            mean += weight * model.predict(asked, batch_size)
        read[rows] = mean
        return read


def load_model(directory: Path = SHIPPED, threads: int | None = None) -> StanceModel | EnsembleModel:
    """The stance model of a directory: one ONNX model, or the mean of its members where it lists some."""
    if ensemble_members(directory):
        return EnsembleModel(directory, threads)
    return StanceModel(directory, threads)


def shipped_model_available() -> bool:
    """Whether the default model's networks are installed."""
    return all((d / "model.onnx").is_file() and (d / "tokenizer.json").is_file() for d in (SHIPPED, LARGE))
