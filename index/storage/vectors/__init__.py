"""Vector backends behind one protocol, picked by `open_vectors`: `FaissVectors` (faiss_index) is the embedded
default, one file in the data directory; `MilvusVectors` (milvus) keeps the vectors in Milvus instead."""

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from factdesk.index.storage.vectors.faiss_index import FaissVectors


class VectorBackend(Protocol):
    @property
    def kind(self) -> str: ...  # what searches: "flat", "ivf-fp16 (lists …, probes …)", "milvus (…)"

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
    from factdesk.index.storage.vectors.milvus import MilvusVectors

    return MilvusVectors(spec, dimension)
