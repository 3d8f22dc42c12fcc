"""Vector backends behind one protocol. `FaissVectors` is the embedded default (exact inner-product search over
ids, one file in the data directory); `index.milvus.MilvusVectors` keeps the vectors in Milvus instead."""

import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorBackend(Protocol):
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...  # upsert
    def remove(self, ids: Iterable[int]) -> None: ...
    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
    def reconstruct(self, ids: Iterable[int]) -> dict[int, np.ndarray]: ...
    def ids(self) -> set[int]: ...
    def save(self) -> None: ...
    def reload(self) -> None: ...  # another process saved: see its writes
    def __len__(self) -> int: ...


def open_vectors(spec: str | None, data_dir: Path, dimension: int) -> VectorBackend:
    """`None` or "faiss": vectors.faiss in the data directory; a milvus:// or http(s):// address: Milvus."""
    if spec in (None, "", "faiss"):
        return FaissVectors(data_dir / "vectors.faiss", dimension)
    from index.milvus import MilvusVectors

    return MilvusVectors(spec, dimension)


class FaissVectors:
    """`IndexIDMap2` over a flat inner-product index, persisted to one file written atomically."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self._lock = threading.RLock()
        self.index = self._read()

    def _read(self) -> faiss.Index:
        if not self.path.exists():
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        index = faiss.read_index(str(self.path))
        if index.d != self.dimension:
            raise ValueError(f"{self.path} holds {index.d}-d vectors, expected {self.dimension}")
        return index

    def reload(self) -> None:
        index = self._read()
        with self._lock:
            self.index = index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Upsert: a vector for an id already present replaces it."""
        if len(ids):
            with self._lock:
                if self.index.ntotal:
                    self.index.remove_ids(ids.astype(np.int64))
                self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        array = np.fromiter(ids, dtype=np.int64)
        if len(array):
            with self._lock:
                self.index.remove_ids(array)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self.index.ntotal == 0:
                empty = np.zeros((len(vectors), 0))
                return empty.astype(np.float32), empty.astype(np.int64)
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
            return set(faiss.vector_to_array(self.index.id_map).tolist())

    def save(self) -> None:
        with self._lock:
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

    def __len__(self) -> int:
        return int(self.index.ntotal)
