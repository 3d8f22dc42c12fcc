"""onnxruntime sessions and padded batches shared by the ONNX encoder and the stance model (no torch)."""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before the import, or it tries to reach a telemetry host
import onnxruntime as ort


def session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # int8 weights stored with DequantizeLinear are folded into fp32 constants once, at load
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    # idle intra-op threads sleep instead of spinning: a check runs the encoder, FAISS, SQLite and the stance
    # model in turn on 2 cores, and threads spinning after one run slowed the next step (check p50 at 10k
    # statements 173 → 112 ms in process, measured with benchmarks/scale.py's archive)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def pad_batch(encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`tokenizers` encodings → right-padded input ids, attention mask and token type ids (int64)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        types[row, : len(e.ids)] = e.type_ids
        mask[row, : len(e.ids)] = 1
    return ids, mask, types
