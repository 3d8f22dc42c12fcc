"""onnxruntime sessions and padded batches shared by the ONNX encoder and the stance model (no torch)."""

import fcntl
import functools
import hashlib
import math
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from factdesk.index.settings import get_settings  # first: it switches off onnxruntime's telemetry

# isort: split
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import NoSuchFile

from factdesk.index.quantize import signed_weights


def cache_dir() -> Path:
    """$FACTDESK_CACHE_DIR, else ~/.cache/factdesk, else (no writable home) a per-user temp directory."""
    if get_settings().cache_dir:
        return get_settings().cache_dir  # type: ignore[return-value]
    home = Path.home() / ".cache" / "factdesk"
    try:
        home.mkdir(parents=True, exist_ok=True)
        return home
    except OSError:
        return Path(tempfile.gettempdir()) / f"factdesk-cache-{os.getuid()}"


KEPT_COPIES = 8  # signed copies in the cache: the shipped networks, the encoder and a few more


def session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    """A CPU session of the model at `path`, or of its copy with signed weights where this CPU runs those."""
    copy = signed_copy(path)
    try:
        return ort.InferenceSession(str(copy), _options(threads), providers=["CPUExecutionProvider"])
    except NoSuchFile:
        if copy == path:
            raise
        # another process dropped the copy from the cache meanwhile (see signed_copy): the model as it is
        return ort.InferenceSession(str(path), _options(threads), providers=["CPUExecutionProvider"])


def signed_copy(path: Path, directory: Path | None = None) -> Path:
    """Where this CPU multiplies uint8 × int8 exactly (`exact_signed_kernel`), a copy of the model at `path` with
    its int8 weights signed (`quantize.signed_weights`: the same results, faster); else, or where the model has no
    such weights or the cache cannot be written, `path` itself.

    The copy is written once into the cache, named by the model file (`_file_key`), and loaded by path like the
    original: a session made from the rewritten model's bytes held about 20 MB more. The cache keeps the
    KEPT_COPIES models used last (training and its tests load many models once).
    """
    if not exact_signed_kernel():
        return path
    try:
        digest = _file_key(Path(path))
    except OSError:
        return path  # onnxruntime says what is wrong with the path
    directory = (directory or cache_dir()) / "signed"
    target, unsigned = directory / f"{digest}.onnx", directory / f"{digest}.unsigned"
    try:
        if not target.is_file() and not unsigned.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            with open(directory / f"{digest}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one process writes it; the others wait and read it
                if not target.is_file() and not unsigned.is_file():
                    _write_signed(Path(path), target, unsigned)
                    _keep_last_used(directory, KEPT_COPIES)
        used = target if target.is_file() else unsigned
        os.utime(used)  # used now: kept over the models used longest ago
    except OSError:
        return path
    return target if target.is_file() else path


def _file_key(path: Path) -> str:
    """A name for the model file at `path` as it is now: its place, size, inode and modification time, as Python
    keys its bytecode cache, rather than hash the model's bytes at every start. A model written anew, in place or
    replaced, gets a new name, and the copy of the old one leaves the cache in time."""
    stat = path.stat()
    place = f"{path.resolve()}|{stat.st_size}|{stat.st_dev}|{stat.st_ino}|{stat.st_mtime_ns}"
    return hashlib.sha256(place.encode()).hexdigest()[:24]


def _keep_last_used(directory: Path, keep: int) -> None:
    """Delete the files of every model in `directory` but the `keep` used last (by their files' times)."""
    last_used: dict[str, float] = {}
    for file in directory.iterdir():
        digest = file.name.split(".", 1)[0]
        try:
            last_used[digest] = max(last_used.get(digest, 0.0), file.stat().st_mtime)
        except OSError:  # deleted meanwhile
            continue
    for digest in sorted(last_used, key=last_used.__getitem__, reverse=True)[keep:]:
        for file in directory.glob(f"{digest}.*"):
            file.unlink(missing_ok=True)


def _write_signed(source: Path, target: Path, unsigned: Path) -> None:
    model = onnx.load(str(source))
    if not signed_weights(model):
        unsigned.touch()  # nothing to sign: remembered, so the next load reads the model as it is
        return
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    onnx.save(model, str(partial))
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)


def _options(threads: int | None = None) -> ort.SessionOptions:
    options = ort.SessionOptions()
    # int8 weights stored with DequantizeLinear are folded into fp32 constants once, at load
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    # idle intra-op threads sleep instead of spinning: a check runs the encoder, FAISS, SQLite and the stance
    # model in turn on 2 cores, and threads spinning after one run slowed the next step (benchmarks/scale.py's
    # check latency, docs/benchmarks.md)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
    return options


@functools.cache
def exact_signed_kernel() -> bool:
    """Whether onnxruntime adds uint8 × int8 products here without saturating, tried once a process.

    x86 kernels without VNNI add two adjacent products in 16 bits (255 · 127 · 2 saturates); VNNI and AMX add
    them in 32. Elsewhere (ARM) the uint8 × int8 kernel has not been measured against uint8 × uint8, so the
    weights stay unsigned.
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    depth, width = 64, 16
    graph = helper.make_graph(
        [
            helper.make_node(
                "MatMulIntegerToFloat", ["a", "b", "one", "one", "a_zero", "b_zero"], ["y"], domain="com.microsoft"
            )
        ],
        "probe",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [4, depth])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, width])],
        [
            numpy_helper.from_array(np.full((depth, width), 127, np.int8), "b"),
            numpy_helper.from_array(np.array(1.0, np.float32), "one"),
            numpy_helper.from_array(np.array(0, np.uint8), "a_zero"),
            numpy_helper.from_array(np.array(0, np.int8), "b_zero"),
        ],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    probe = ort.InferenceSession(model.SerializeToString(), _options(1), providers=["CPUExecutionProvider"])
    (result,) = probe.run(None, {"a": np.full((4, depth), 255, np.uint8)})
    return bool(np.all(result == 255 * 127 * depth))


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
