"""One writer at a time for a data directory, and the vector file kept in step with SQLite.

An ingest writes SQLite in one transaction (that is what makes it durable), then the in-memory vector index. The
vector file is written atomically, at most SAVE_SHARE of the time (`save_if_due`), so a large index is not
rewritten for every request while a small one is saved after each. If the process dies before a save,
`reconcile()` (run on open) re-embeds statements that have no vector and drops vectors whose statement is gone, so
the store and the index always agree after a restart.

Several processes (server workers, the CLI) may write to one data directory: writers take a file lock, and each
first loads what the others saved (the store's vector generation tells), keeping its own changes not yet saved on
top.
"""

import fcntl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from factdesk.index.embed import Embedder
from factdesk.index.storage.encoder import REINDEXING, require_encoder
from factdesk.index.storage.sqlite import Store
from factdesk.index.storage.vectors import VectorBackend, open_vectors

SAVE_AFTER_CHANGES = 5_000  # vectors added or removed since the vector file was written
SAVE_SHARE = 0.1  # of the time, at most, spent writing the vector file


class Writer:
    def __init__(self, data_dir: Path, store: Store, vectors: VectorBackend, generation: int, dimension: int) -> None:
        """`generation`: the store's vector generation, read before the vector file was (a later save reloads)."""
        self.data_dir, self.store, self.vectors, self.dimension = data_dir, store, vectors, dimension
        self._generation = generation
        self._write = threading.RLock()
        self._writing_depth = 0
        # changes since the vector file was last written, re-applied when another process's save is loaded
        self._unsaved_add: dict[int, np.ndarray] = {}
        self._unsaved_remove: set[int] = set()
        self._saved_at = time.monotonic()
        self._save_seconds = 0.0

    @classmethod
    def open(cls, data_dir: Path, vectors: str | None, dimension: int, encoder: str, check: bool = True) -> "Writer":
        """A data directory's store and vectors (`vectors`: None for FAISS in it, or a Milvus address). `encoder`: the
        one this process embeds with, held to the one the directory records unless not `check` (for `reindex`)."""
        store = Store(data_dir / "factdesk.sqlite3")
        if check:
            require_encoder(data_dir, store, encoder)
        generation = store.vectors_generation()  # read before the file: a later save reloads
        return cls(data_dir, store, open_vectors(vectors, data_dir, dimension), generation, dimension)

    @property
    def unsaved(self) -> int:
        return len(self._unsaved_add) + len(self._unsaved_remove)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time across threads and processes, starting from the latest saved vectors."""
        with self._write:
            if self._writing_depth:  # nested (save() inside ingest()): the file lock is held already
                yield
                return
            with open(self.data_dir / ".write.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._writing_depth += 1
                try:
                    self._catch_up()
                    yield
                finally:
                    self._writing_depth -= 1

    def _catch_up(self) -> None:
        """Another process saved the vector file: load it, then re-apply this process's unsaved changes."""
        generation = self.store.vectors_generation()
        if generation != self._generation:
            self.vectors.reload()
            self.vectors.remove(self._unsaved_remove)
            if self._unsaved_add:
                ids = np.fromiter(self._unsaved_add, dtype=np.int64)
                self.vectors.add(ids, np.stack([self._unsaved_add[int(i)] for i in ids]))
            self._generation = generation

    def changed(self, removed: Sequence[int], ids: np.ndarray, vectors: np.ndarray) -> None:
        self.vectors.remove(removed)
        self.vectors.add(ids, vectors)
        for i in removed:
            self._unsaved_add.pop(int(i), None)
        self._unsaved_remove.update(int(i) for i in removed)
        self._unsaved_add.update(zip(ids.tolist(), vectors, strict=True))

    def refresh(self) -> None:
        """Another process (a second server worker, the CLI) saved new vectors: load them."""
        if self.store.vectors_generation() != self._generation:
            with self._write:
                self._catch_up()

    def save(self) -> None:
        """Write the vector file now (atomically) and tell other processes to load it."""
        with self.writing():
            started = time.monotonic()
            self.vectors.save()
            self._generation = self.store.bump_vectors_generation()
            self._unsaved_add.clear()
            self._unsaved_remove.clear()
            self._saved_at = time.monotonic()
            self._save_seconds = self._saved_at - started

    def save_if_due(self) -> bool:
        """Save when SAVE_AFTER_CHANGES vectors changed, or when the last save is long enough ago that saving
        takes at most SAVE_SHARE of the time: a small index (a millisecond to write) is saved after every write,
        a million vectors (seconds) every half a minute or so. Nothing acknowledged is at risk meanwhile: SQLite
        holds it already, and reconcile() re-embeds it after a crash. The server calls this every second, so
        other workers see a write within seconds.
        """
        with self._write:
            wait = self._save_seconds / SAVE_SHARE
            due = self.unsaved >= SAVE_AFTER_CHANGES
            due = due or (self.unsaved > 0 and time.monotonic() - self._saved_at >= wait)
            if due:
                self.save()
            return due

    def reconcile(self, embedder: Embedder) -> dict[str, int]:
        """Make the vector index match the store; returns how many vectors were added and removed."""
        with self.writing():
            stored, indexed = self.store.statement_ids(), self.vectors.ids()
            stale, missing = indexed - stored, sorted(stored - indexed)
            self.vectors.remove(stale)
            for chunk in range(0, len(missing), 1024):
                part = self.store.statements(missing[chunk : chunk + 1024])
                ids = np.array(sorted(part), dtype=np.int64)
                self.vectors.add(ids, embedder.embed([part[int(i)].text for i in ids]))
            if stale or missing:
                self.save()
        return {"added": len(missing), "removed": len(stale)}

    def reindex(
        self, embedder: Embedder, encoder: str, progress: Callable[[int], None] | None = None, chunk: int = 1024
    ) -> int:
        """Re-embed every statement with this archive's encoder, save, and record it as the vectors' maker.

        Until it ends the data directory is marked as being reindexed, so that a crash half-way (vectors of two
        encoders) makes the next open fail with a clear message instead of mixing them; running it again
        finishes the job. Returns how many statements were embedded.
        """
        with self.writing():
            self.store.set_info("encoder", f"{REINDEXING}to {encoder}")
            ids = sorted(self.store.statement_ids())
            self.vectors.remove(self.vectors.ids() - set(ids))
            for start in range(0, len(ids), chunk):
                part = self.store.statements(ids[start : start + chunk])
                keys = np.array(sorted(part), dtype=np.int64)
                self.vectors.add(keys, embedder.embed([part[int(i)].text for i in keys]))
                if progress:
                    progress(len(keys))
            self.save()
            self.store.set_info("encoder", encoder)
        return len(ids)

    def delete(self, article_id: str, save: bool = True) -> bool:
        with self.writing():
            removed = self.store.delete_article(article_id)
            if removed is None:
                return False
            self.changed(removed, np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension)))
            if save:
                self.save_if_due()
        return True

    def close(self) -> None:
        if self.unsaved:
            self.save()
        self.store.close()
