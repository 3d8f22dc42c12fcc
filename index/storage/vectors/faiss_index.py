"""The embedded vector backend: FAISS, exact inner-product search over ids (an inverted file for large archives),
one file in the data directory."""

import math
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import faiss
import numpy as np

from factdesk.index.errors import Conflict

FLAT_LIMIT = 50_000  # exact search up to this many vectors, IVF above it (benchmarks/ann.py measured the choice)
MMAP_BYTES = 32 * 2**20  # IVF files at least this big are memory-mapped when loaded
TRAIN_PER_LIST = 40  # k-means training vectors per inverted list
MIN_PER_LIST = 32
CHUNK = 65_536  # vectors copied at a time while an index is rebuilt


def ivf_lists(n: int) -> int:
    """Inverted lists for n vectors: a power of two near 4·√n (1,024 at 50k, 4,096 at 1M), ≥ 32 vectors each."""
    near = 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))
    trainable = 2 ** round(math.log2(max(n / MIN_PER_LIST, 1)))
    return int(max(16, min(near, trainable, 16_384)))


def ivf_probes(nlist: int) -> int:
    """Lists searched per query. On sentence vectors recall@10 reaches 0.98 at about 256 probes once there are
    1,024 lists or more, whatever their number (benchmarks/ann.py); small indexes search half their lists."""
    return min(nlist // 2, 256)


@contextmanager
def _openmp_threads(threads: int) -> Iterator[None]:
    """FAISS's OpenMP threads for the calling thread's searches, set back as they were after."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class FaissVectors:
    """Exact search up to `flat_limit` vectors, an inverted file over half-precision vectors above it.

    Small: `IndexIDMap2` over `IndexFlatIP`. Large: `IndexIVFScalarQuantizer` (inner product, fp16 codes, a
    hash table from ids to list positions, so upserts and deletes stay cheap): half the memory of flat vectors,
    a fraction of the lists scanned per query. Measured on sentence vectors (benchmarks/ann.py, 1M vectors):
    fp16 reaches recall@10 0.984 in 6.9 ms where 8-bit codes need twice the probes (0.986 in 14.5 ms) and exact
    search takes 98 ms. HNSW searches faster still, but faiss cannot delete from it, and articles get replaced
    and deleted. `save()` picks the type for the current size: flat → IVF past the limit, IVF retrained with
    twice the lists when the archive has grown about fourfold, back to flat under half the limit; the new
    index replaces the file atomically, like every save.

    A large IVF file loads memory-mapped, read-only: start-up is instant and server workers share its pages.
    The first write in the process reads it into memory.
    """

    def __init__(self, path: Path, dimension: int, flat_limit: int = FLAT_LIMIT, mmap_bytes: int = MMAP_BYTES) -> None:
        self.path = path
        self.dimension = dimension
        self.flat_limit = flat_limit
        self.mmap_bytes = mmap_bytes
        self._lock = threading.RLock()  # the index object: searches and in-place changes
        self._writing = threading.RLock()  # writers and save(), which only reads the index while it writes
        self._dirty = False
        self.mapped = False
        self.index = self._read()

    @property
    def kind(self) -> str:
        if isinstance(self.index, faiss.IndexIVF):
            return f"ivf-fp16 (lists {self.index.nlist}, probes {self.index.nprobe})"
        return "flat"

    def _read(self, mmap: bool = True) -> faiss.Index:
        if not self.path.exists():
            self.mapped = False
            return self._flat()
        mapped = mmap and self.path.stat().st_size >= self.mmap_bytes and _is_ivf(self.path)
        index = faiss.read_index(str(self.path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mapped else 0)
        if index.d != self.dimension:
            raise Conflict(f"{self.path} holds {index.d}-d vectors, expected {self.dimension}")
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = ivf_probes(index.nlist)
        self.mapped = mapped
        return index

    def _flat(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _writable(self) -> None:
        """Before a change: a memory-mapped index is read-only, load it into memory."""
        if self.mapped:
            self.index = self._read(mmap=False)

    def reload(self) -> None:
        with self._writing:
            index = self._read()
            with self._lock:
                self.index = index
                self._dirty = False

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Upsert: a vector for an id already present replaces it."""
        if len(ids):
            with self._writing, self._lock:
                self._writable()
                ids = np.ascontiguousarray(ids, dtype=np.int64)
                if self.index.ntotal:
                    self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids)))
                self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
                self._dirty = True

    def remove(self, ids: Iterable[int]) -> None:
        array = np.fromiter(ids, dtype=np.int64)
        if len(array):
            with self._writing, self._lock:
                self._writable()
                self.index.remove_ids(faiss.IDSelectorArray(len(array), faiss.swig_ptr(array)))
                self._dirty = True

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self.index.ntotal == 0:
                empty = np.zeros((len(vectors), 0))
                return empty.astype(np.float32), empty.astype(np.int64)
            # one query searches on this thread: OpenMP's threads would wait for cores the stance model holds
            with _openmp_threads(1) if len(vectors) == 1 else nullcontext():
                return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(k, self.index.ntotal))

    def reconstruct(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        found = {}
        with self._lock:
            for i in ids:
                try:
                    found[i] = self.index.reconstruct(int(i))
                except RuntimeError:  # id not in the index
                    continue
        return found

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._ids().tolist())

    def _ids(self) -> np.ndarray:
        if not isinstance(self.index, faiss.IndexIVF):
            return faiss.vector_to_array(self.index.id_map)
        lists = self.index.invlists
        parts = [np.zeros(0, dtype=np.int64)]
        for i in range(self.index.nlist):
            if size := lists.list_size(i):
                parts.append(faiss.rev_swig_ptr(lists.get_ids(i), size).copy())
        return np.concatenate(parts)

    def save(self) -> None:
        with self._writing:
            rebuilt = self._rebuilt()
            if rebuilt is not None:
                with self._lock:
                    self.index, self.mapped, self._dirty = rebuilt, False, True
            if not self._dirty and self.path.exists():
                return  # a mapped index is never dirty: its file is already what it holds
            # writers wait on self._writing, searches go on: writing only reads the index
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
            os.close(fd)
            try:
                faiss.write_index(self.index, tmp)
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._dirty = False

    def _rebuilt(self) -> faiss.Index | None:
        """The index rebuilt as the type its size calls for, or None when it already is that type."""
        n = self.index.ntotal
        if isinstance(self.index, faiss.IndexIVF):
            if n < self.flat_limit // 2:
                return self._copy(self._flat())
            if ivf_lists(n) < 2 * self.index.nlist:
                return None
        elif n <= self.flat_limit:
            return None
        with self._lock:
            self._writable()
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(self.dimension)
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dimension, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        ivf.cp.min_points_per_centroid = MIN_PER_LIST // 2  # fewer than faiss's 39 train well enough
        ids = self._ids()
        sample = np.sort(np.random.default_rng(0).choice(ids, min(n, TRAIN_PER_LIST * nlist), replace=False))
        ivf.train(self._vectors(sample))
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.nprobe = ivf_probes(nlist)
        return self._copy(ivf, ids)

    def _copy(self, target: faiss.Index, ids: np.ndarray | None = None) -> faiss.Index:
        ids = self._ids() if ids is None else ids
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            target.add_with_ids(self._vectors(part), part)
        return target

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.index.reconstruct_batch(ids), dtype=np.float32)

    def __len__(self) -> int:
        return int(self.index.ntotal)


def _is_ivf(path: Path) -> bool:
    """IVF scalar-quantiser files start with faiss's "IwSq" tag; only those are memory-mapped."""
    with open(path, "rb") as f:
        return f.read(4) == b"IwSq"
