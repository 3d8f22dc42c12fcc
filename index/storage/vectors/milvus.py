"""Milvus vector backend (`pymilvus.MilvusClient`): Milvus Lite in a local file, or a Milvus server or cluster.

    milvus:///abs/path/milvus.db     Milvus Lite (embedded, one process)
    milvus://relative/milvus.db      Milvus Lite, relative to the working directory
    http://host:19530                a Milvus server or cluster (https:// too)

`?collection=NAME` picks the collection (default `factdesk_statements`); `?token=USER:PASSWORD` for a
server with authentication. Reads are strongly consistent, so a check sees every write acknowledged before it.
"""

import logging
import threading
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import numpy as np

from factdesk.index.errors import Conflict, InvalidInput

DEFAULT_COLLECTION = "factdesk_statements"
CHUNK = 1000  # rows per insert / delete / get call


def parse_uri(spec: str) -> tuple[str, str, str | None]:
    """→ (uri for MilvusClient, collection, token)."""
    parts = urlsplit(spec)
    query = parse_qs(parts.query)
    collection = query.get("collection", [DEFAULT_COLLECTION])[0]
    token = query.get("token", [None])[0]
    if parts.scheme == "milvus":
        path = parts.netloc + parts.path
        if not path.endswith(".db"):
            raise InvalidInput(f"a Milvus Lite path must end in .db: {spec!r}")
        return path, collection, token
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}", collection, token
    raise InvalidInput(f"not a Milvus address: {spec!r} (milvus:///path/milvus.db or http://host:19530)")


class MilvusVectors:
    def __init__(self, spec: str, dimension: int) -> None:
        from pymilvus import MilvusClient

        # Milvus Lite logs each start and stop of its embedded server at INFO, the last one at interpreter exit
        logging.getLogger("milvus_lite").setLevel(logging.WARNING)
        uri, self.collection, token = parse_uri(spec)
        self.spec = spec
        self.dimension = dimension
        self._lock = threading.RLock()
        self.client = MilvusClient(uri, token=token or "")
        if self.client.has_collection(self.collection):
            described = self.client.describe_collection(self.collection)
            dims = [f["params"].get("dim") for f in described["fields"] if "params" in f and "dim" in f["params"]]
            if dims and int(dims[0]) != dimension:
                raise Conflict(f"{spec} holds {dims[0]}-d vectors, expected {dimension}")
            self.client.load_collection(self.collection)  # a collection another process made starts released
        else:
            self.client.create_collection(
                self.collection,
                dimension=dimension,
                metric_type="IP",
                id_type="int",
                auto_id=False,
                consistency_level="Strong",
            )

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        rows = [{"id": int(i), "vector": v.tolist()} for i, v in zip(ids, np.asarray(vectors, np.float32), strict=True)]
        with self._lock:
            for start in range(0, len(rows), CHUNK):
                self.client.upsert(self.collection, rows[start : start + CHUNK])

    def remove(self, ids: Iterable[int]) -> None:
        wanted = [int(i) for i in ids]
        with self._lock:
            for start in range(0, len(wanted), CHUNK):
                self.client.delete(self.collection, ids=wanted[start : start + CHUNK])

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's shape: (scores, ids), one row per query, best first, padded with id -1."""
        n = len(self)
        width = min(k, n)
        scores = np.zeros((len(vectors), width), dtype=np.float32)
        ids = np.full((len(vectors), width), -1, dtype=np.int64)
        if width == 0:
            return scores, ids
        with self._lock:
            results = self.client.search(
                self.collection, data=np.asarray(vectors, np.float32).tolist(), limit=width, output_fields=[]
            )
        for row, hits in enumerate(results):
            for col, hit in enumerate(hits[:width]):
                ids[row, col], scores[row, col] = int(hit["id"]), float(hit["distance"])
        return scores, ids

    def reconstruct(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        wanted = [int(i) for i in ids]
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(wanted), CHUNK):
                rows = self.client.get(self.collection, ids=wanted[start : start + CHUNK], output_fields=["vector"])
                found |= {int(row["id"]): np.asarray(row["vector"], dtype=np.float32) for row in rows}
        return found

    def ids(self) -> set[int]:
        found: set[int] = set()
        with self._lock:
            iterator = self.client.query_iterator(
                self.collection, batch_size=CHUNK, filter="id >= 0", output_fields=["id"]
            )
            while batch := iterator.next():
                found.update(int(row["id"]) for row in batch)
            iterator.close()
        return found

    def save(self) -> None:
        with self._lock:
            self.client.flush(self.collection)

    def reload(self) -> None:
        """Nothing to do: every process talks to the same live collection."""

    @property
    def kind(self) -> str:
        return f"milvus ({self.collection})"

    def __len__(self) -> int:
        with self._lock:
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])
