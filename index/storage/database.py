"""The SQLite database of a data directory (WAL): one connection shared by threads under a lock, and the small
tables every part reads: `meta` (generations other processes watch) and `info` (facts such as the encoder).

SQLite is the source of truth: the vector index is derived from it and reconciled against it on start-up.
Each group of tables is a class over the shared connection (`Tables`): articles and statements, their full-text
index, fact-checks, watches and deliveries; `index.storage.sqlite.Store` is all of them on one connection.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('vectors_generation', 0);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Tables:
    """A group of tables on a shared connection: reads hold `_lock`, writes run in `transaction()`."""

    _db: sqlite3.Connection
    _lock: threading.RLock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


class Database(Tables):
    """One connection shared by threads under a lock; SQLite serialises writers anyway. `scripts` create the
    tables (each group of tables adds its own)."""

    scripts: tuple[str, ...] = (SCHEMA,)

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            for script in self.scripts:
                self._db.executescript(script)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def vectors_generation(self) -> int:
        """Bumped each time the vector file is saved: other processes reload it when it changes."""
        with self._lock:
            return int(self._db.execute("SELECT value FROM meta WHERE key = 'vectors_generation'").fetchone()[0])

    def bump_vectors_generation(self) -> int:
        with self.transaction() as db:
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'vectors_generation'")
            return int(db.execute("SELECT value FROM meta WHERE key = 'vectors_generation'").fetchone()[0])

    def info(self, key: str) -> str | None:
        """A recorded fact about the data directory, e.g. `encoder`: the encoder that made its vectors."""
        with self._lock:
            row = self._db.execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def record_info(self, key: str, value: str) -> str:
        """Record `value` unless `key` has one already; returns what is recorded (first writer wins)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO info VALUES (?, ?)", (key, value))
            return str(db.execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()[0])

    def set_info(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO info VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
            )
