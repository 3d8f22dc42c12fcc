"""Watches and their deliveries (index.watch decides what to deliver, service.outbound.webhooks sends it)."""

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from factdesk.index.storage.database import Tables

SCHEMA = """
INSERT OR IGNORE INTO meta VALUES ('watches_generation', 0);
CREATE TABLE IF NOT EXISTS watches (
    id TEXT PRIMARY KEY,
    claim TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    secret TEXT NOT NULL,  -- the HMAC key of its deliveries; needed in clear to sign
    min_confidence REAL,  -- NULL: the archive's level
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    watch_id TEXT NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    statement_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    stance TEXT NOT NULL,
    payload BLOB NOT NULL,  -- the exact body sent (and signed)
    status TEXT NOT NULL DEFAULT 'queued',  -- queued | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,  -- unix seconds; a claimed delivery's is pushed on by the claim's lease
    last_error TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_watch ON deliveries(watch_id, id);
"""


@dataclass(frozen=True, slots=True)
class StoredWatch:
    id: str
    claim: str
    webhook_url: str
    secret: str
    min_confidence: float | None
    created_at: str


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: int
    watch_id: str
    statement_id: int
    article_id: str
    stance: str
    payload: bytes
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: str
    delivered_at: str | None


class WatchTables(Tables):
    def create_watch(self, watch: StoredWatch) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO watches (id, claim, webhook_url, secret, min_confidence, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (watch.id, watch.claim, watch.webhook_url, watch.secret, watch.min_confidence, watch.created_at),
            )
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'watches_generation'")

    def delete_watch(self, watch_id: str) -> bool:
        """Deletes its deliveries too (sent or not); False when there is no such watch."""
        with self.transaction() as db:
            gone = db.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount > 0
            if gone:
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'watches_generation'")
        return gone

    def watch(self, watch_id: str) -> StoredWatch | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM watches WHERE id = ?", (watch_id,)).fetchone()
        return StoredWatch(**row) if row else None

    def watches(self) -> list[StoredWatch]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM watches ORDER BY created_at, id").fetchall()
        return [StoredWatch(**row) for row in rows]

    def watches_generation(self) -> int:
        """Bumped by every change of watches: ingests in other processes reload them when it changes."""
        with self._lock:
            return int(self._db.execute("SELECT value FROM meta WHERE key = 'watches_generation'").fetchone()[0])

    @staticmethod
    def queue_deliveries(
        db: sqlite3.Connection, deliveries: Iterable[tuple[str, int, str, str, bytes]], now: float
    ) -> None:
        """(watch id, statement id, article id, stance, payload) queued inside the caller's transaction; those of a
        watch deleted meanwhile are left out (a foreign-key error would undo the ingest)."""
        db.executemany(
            "INSERT INTO deliveries (watch_id, statement_id, article_id, stance, payload, next_attempt_at) "
            "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM watches WHERE id = ?)",
            [(*d, now, d[0]) for d in deliveries],
        )

    def deliveries(self, watch_id: str, limit: int = 100) -> list[StoredDelivery]:
        """The latest `limit` deliveries of a watch, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM deliveries WHERE watch_id = ? ORDER BY id DESC LIMIT ?", (watch_id, limit)
            ).fetchall()
        return [StoredDelivery(**row) for row in rows]

    def claim_deliveries(self, now: float, lease: float, limit: int) -> list[tuple[StoredDelivery, StoredWatch]]:
        """Queued deliveries that are due, each with its watch, claimed for `lease` seconds: their next attempt is
        pushed past the lease in the same transaction, so another worker does not send them meanwhile, and a
        worker that dies while sending leaves them to be sent again once the lease is over."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT d.*, w.claim AS w_claim, w.webhook_url AS w_webhook_url, w.secret AS w_secret, "
                "w.min_confidence AS w_min_confidence, w.created_at AS w_created_at FROM deliveries d "
                "JOIN watches w ON w.id = d.watch_id WHERE d.status = 'queued' AND d.next_attempt_at <= ? "
                "ORDER BY d.next_attempt_at, d.id LIMIT ?",
                (now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE deliveries SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?",
                [(now + lease, row["id"]) for row in rows],
            )
        claimed = []
        for row in rows:
            values = dict(row)
            watch = StoredWatch(values["watch_id"], *(values.pop(f"w_{f}") for f in _WATCH_FIELDS))
            values["attempts"] += 1
            claimed.append((StoredDelivery(**values), watch))
        return claimed

    def record_attempt(self, delivery_id: int, error: str | None, retry_at: float | None) -> None:
        """After an attempt: delivered (`error` None), queued again for `retry_at`, or failed (no `retry_at`)."""
        with self.transaction() as db:
            if error is None:
                db.execute(
                    "UPDATE deliveries SET status = 'delivered', last_error = NULL, "
                    "delivered_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                    (delivery_id,),
                )
            elif retry_at is not None:
                db.execute(
                    "UPDATE deliveries SET last_error = ?, next_attempt_at = ? WHERE id = ?",
                    (error, retry_at, delivery_id),
                )
            else:
                db.execute("UPDATE deliveries SET status = 'failed', last_error = ? WHERE id = ?", (error, delivery_id))


class WatchStore(WatchTables):
    """The watch and delivery tables of an open database, on its connection."""

    def __init__(self, database: Tables) -> None:
        self._db, self._lock = database._db, database._lock


_WATCH_FIELDS = ("claim", "webhook_url", "secret", "min_confidence", "created_at")
