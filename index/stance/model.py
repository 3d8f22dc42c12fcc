"""The shipped NLI cross-encoder at inference: onnxruntime + tokenizers, no torch."""

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from factdesk.index.onnxrt import ParallelSession
from factdesk.index.stance.labels import LABELS

SHIPPED = Path(__file__).with_name("nli-minilm-l6")  # the default: 6 layers
FAST = Path(__file__).with_name("nli-minilm-l3")  # 3 layers distilled from it: faster, a little less accurate
MAX_LENGTH = 128


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


def shipped_model_available() -> bool:
    return (SHIPPED / "model.onnx").is_file() and (SHIPPED / "tokenizer.json").is_file()
