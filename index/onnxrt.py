"""onnxruntime sessions and padded batches shared by the ONNX encoder and the stance model (no torch)."""

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

import factdesk.index.settings  # noqa: F401  (first: it switches off onnxruntime's telemetry before the import)

# isort: split
import onnxruntime as ort


def session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # int8 weights stored with DequantizeLinear are folded into fp32 constants once, at load
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    # idle intra-op threads sleep instead of spinning: a check runs the encoder, FAISS, SQLite and the stance
    # model in turn on 2 cores, and threads spinning after one run slowed the next step (benchmarks/scale.py's
    # check latency, docs/benchmarks.md)
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


def available_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup CPU quota (a container's `--cpus`)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]  # v2: "max 100000" or "200000 100000"
    except (OSError, ValueError):
        try:  # v1: a quota of -1 means none
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return cores
    try:
        limit = int(quota) / int(period)
    except ValueError:  # "max": no quota
        return cores
    return max(1, min(cores, math.ceil(limit))) if limit > 0 else cores


def length_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None = None) -> list[list[int]]:
    """Positions grouped by ascending length: at most `batch_size` a batch and, with `max_tokens`, at most that
    many tokens once padded to the batch's longest. Without a token cap, batches of 16 long sentences
    (COVID-Fact, ~45 tokens) encoded 0.7x as fast as one at a time: larger activations fall out of cache.
    """
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        batch = batches[-1] if batches else None
        if batch is None or len(batch) >= batch_size or (max_tokens and (len(batch) + 1) * lengths[i] > max_tokens):
            batches.append([i])
        else:
            batch.append(i)
    return batches


class ParallelSession:
    """A single-threaded session whose runs go side by side, `threads` at once (default: one per core).

    On 2 cores, two single-threaded runs at once beat one run on two threads: at batch 1 the encoder encoded
    1.6x the sentences, and the stance model scores 8- or 16-pair calls of mixed lengths in 12 ms a pair run one
    pair at a time (no padding), against 31 ms padded into one batch on two threads.
    """

    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.threads = threads or available_cores()
        self.session = session(path, threads=1)
        self._pool = ThreadPoolExecutor(self.threads, path.stem) if self.threads > 1 else None

    def run_sorted(
        self,
        encodings: Sequence[Any],
        batch_size: int,
        output: str,
        store: Callable[[list[int], np.ndarray, np.ndarray], None],
        max_tokens: int | None = None,
    ) -> None:
        """Run `tokenizers` encodings in batches of similar length (see `length_batches`), side by side.

        `store(rows, result, attention_mask)` gets each batch's `output` and its rows' positions in `encodings`.
        A single batch runs on the calling thread.
        """

        def run(rows: list[int]) -> None:
            ids, mask, types = pad_batch([encodings[i] for i in rows])
            (result,) = self.session.run([output], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
            store(rows, result, mask)

        batches = length_batches([len(e.ids) for e in encodings], batch_size, max_tokens)
        if self._pool is None or len(batches) < 2:
            for rows in batches:
                run(rows)
        else:
            list(self._pool.map(run, batches))  # list(): wait for every batch, re-raise the first error
