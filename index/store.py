"""Articles and statements in SQLite (WAL), with an FTS5 index over statement text for BM25 search.

SQLite is the source of truth: the vector index is derived from it and reconciled against it on start-up.
Statement ids never get reused (AUTOINCREMENT), so a stale vector can never point at another statement.
"""

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.factchecks import FactCheck
from index.ingest.segment import Statement
from index.text.lexicon import query_words

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    title TEXT, url TEXT, publisher TEXT, author TEXT, published_at TEXT, language TEXT,
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT,
    speaker TEXT,
    checkworthiness REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('vectors_generation', 0);
INSERT OR IGNORE INTO meta VALUES ('fact_checks_generation', 0);
INSERT OR IGNORE INTO meta VALUES ('watches_generation', 0);
CREATE TABLE IF NOT EXISTS fact_checks (
    id TEXT PRIMARY KEY,
    claim_reviewed TEXT NOT NULL,
    rating TEXT NOT NULL,
    url TEXT NOT NULL,
    reviewer TEXT, rating_value REAL, best_rating REAL, worst_rating REAL, date_published TEXT, claimant TEXT,
    language TEXT,
    vector BLOB NOT NULL,  -- the claim's embedding, float32
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
CREATE INDEX IF NOT EXISTS statements_article ON statements(article_id, position);
CREATE VIRTUAL TABLE IF NOT EXISTS statements_fts USING fts5(
    text, content='statements', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS statements_ai AFTER INSERT ON statements BEGIN
    INSERT INTO statements_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS statements_ad AFTER DELETE ON statements BEGIN
    INSERT INTO statements_fts(statements_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""
FREQUENT = 1_000  # statements a query word may occur in and still take part in BM25 (see lexical_search)
# per connection: the index's terms with their statement counts, and a scratch index that splits texts into terms
# exactly as the full-text index does (porter stems, case folded), so a query's terms and a statement's agree
TERM_TABLES = """
CREATE VIRTUAL TABLE IF NOT EXISTS temp.statement_terms USING fts5vocab(main, statements_fts, row);
CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch USING fts5(text, tokenize='porter unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch_terms USING fts5vocab(temp, scratch, instance);
"""
METADATA = ("title", "url", "publisher", "author", "published_at", "language")
FACT_CHECK_FIELDS = tuple(FactCheck.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class StoredStatement:
    id: int
    article_id: str
    position: int
    start: int
    end: int
    text: str
    context: str | None
    speaker: str | None
    checkworthiness: float


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


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: str
    text: str
    text_hash: str
    title: str | None
    url: str | None
    publisher: str | None
    author: str | None
    published_at: str | None
    language: str | None
    ingested_at: str


class Store:
    """One connection shared by threads under a lock; SQLite serialises writers anyway."""

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
            self._db.executescript(SCHEMA)
            self._db.executescript(TERM_TABLES)

    def close(self) -> None:
        with self._lock:
            self._db.close()

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

    def article(self, article_id: str) -> StoredArticle | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return StoredArticle(**row) if row else None

    def articles(self, ids: Iterable[str]) -> dict[str, StoredArticle]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall()
        return {row["id"]: StoredArticle(**row) for row in rows}

    def write_articles(
        self,
        replaced: Sequence[tuple[str, str, str, dict[str, Any], Sequence[Statement]]],
        metadata_only: dict[str, dict[str, Any]],
        then: Callable[[sqlite3.Connection, list[int]], None] | None = None,
    ) -> tuple[list[int], list[int]]:
        """Upsert articles (id, text, text hash, metadata, statements) and metadata changes in one transaction.

        Returns the statement ids removed and the new statement ids, in input order. `then(db, added)` runs
        inside the same transaction (watch deliveries are queued there: committed with the statements or not at all).
        """
        removed: list[int] = []
        added: list[int] = []
        with self.transaction() as db:
            for article_id, text, text_hash, metadata, statements in replaced:
                removed += [r[0] for r in db.execute("SELECT id FROM statements WHERE article_id = ?", (article_id,))]
                db.execute("DELETE FROM statements WHERE article_id = ?", (article_id,))
                db.execute(
                    f"INSERT INTO articles (id, text, text_hash, {', '.join(METADATA)}) "
                    f"VALUES (?, ?, ?, {', '.join('?' * len(METADATA))}) "
                    f"ON CONFLICT(id) DO UPDATE SET text = excluded.text, text_hash = excluded.text_hash, "
                    f"{', '.join(f'{m} = excluded.{m}' for m in METADATA)}, ingested_at = excluded.ingested_at",
                    (article_id, text, text_hash, *(metadata.get(m) for m in METADATA)),
                )
                for s in statements:
                    cursor = db.execute(
                        "INSERT INTO statements (article_id, position, start, end, text, context, speaker, "
                        "checkworthiness) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (article_id, s.position, s.start, s.end, s.text, s.context, s.speaker, s.checkworthiness),
                    )
                    added.append(int(cursor.lastrowid or 0))
            for article_id, metadata in metadata_only.items():
                db.execute(
                    f"UPDATE articles SET {', '.join(f'{m} = ?' for m in METADATA)} WHERE id = ?",
                    (*(metadata.get(m) for m in METADATA), article_id),
                )
            if then is not None:
                then(db, added)
        return removed, added

    def statement_count(self, article_id: str) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM statements WHERE article_id = ?", (article_id,)).fetchone()[0]
            )

    def delete_article(self, article_id: str) -> list[int] | None:
        """Statement ids removed, or None when the article does not exist."""
        with self.transaction() as db:
            if not db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                return None
            removed = [r[0] for r in db.execute("SELECT id FROM statements WHERE article_id = ?", (article_id,))]
            db.execute("DELETE FROM statements WHERE article_id = ?", (article_id,))
            db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return removed

    def statements(self, ids: Iterable[int]) -> dict[int, StoredStatement]:
        wanted = sorted(set(int(i) for i in ids))
        found: dict[int, StoredStatement] = {}
        with self._lock:
            for chunk in range(0, len(wanted), 500):
                part = wanted[chunk : chunk + 500]
                rows = self._db.execute(
                    f"SELECT * FROM statements WHERE id IN ({','.join('?' * len(part))})", part
                ).fetchall()
                found.update({row["id"]: StoredStatement(**row) for row in rows})
        return found

    def set_checkworthiness(self, scores: Mapping[int, float]) -> None:
        """New check-worthiness scores of stored statements, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE statements SET checkworthiness = ? WHERE id = ?", [(p, sid) for sid, p in scores.items()]
            )

    def statements_of(self, article_id: str) -> list[StoredStatement]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM statements WHERE article_id = ? ORDER BY position", (article_id,)
            ).fetchall()
        return [StoredStatement(**row) for row in rows]

    def statement_ids(self) -> set[int]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM statements")}

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """BM25 over statement text; any query word may match (OR), rarer words weigh more.

        Words found in more than FREQUENT statements are left out: they hardly change the ranking (low IDF),
        but ranking every statement that holds one grows with the archive (0.6 s a query at 1M statements).
        A query made only of such words returns nothing; the vectors decide alone.
        """
        with self._lock:
            words = [w for w in query_words(query) if self._matches_at_most(w, FREQUENT)]
            if not words:
                return []
            match = " OR ".join(f'"{w}"' for w in words)
            rows = self._db.execute(
                "SELECT rowid, bm25(statements_fts) FROM statements_fts WHERE statements_fts MATCH ? "
                "ORDER BY bm25(statements_fts) LIMIT ?",
                (match, k),
            ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def terms(self, texts: Mapping[int, str]) -> dict[int, Counter[str]]:
        """Each text's index terms with how often it holds each (as the full-text index splits and stems them)."""
        found: dict[int, Counter[str]] = {key: Counter() for key in texts}
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT INTO temp.scratch(rowid, text) VALUES (?, ?)", texts.items())
                for doc, term in self._db.execute("SELECT doc, term FROM temp.scratch_terms"):
                    found[int(doc)][str(term)] += 1
            finally:
                self._db.execute("ROLLBACK")
        return found

    def term_counts(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(statements in the index, how many of them hold each term); terms as `terms` gives them."""
        wanted = sorted(set(terms))
        with self._lock:
            total = self._db.execute("SELECT coalesce(max(id), 0) FROM statements").fetchone()[0]
            counts = dict.fromkeys(wanted, 0)
            for term in wanted:
                row = self._db.execute("SELECT doc FROM temp.statement_terms WHERE term = ?", (term,)).fetchone()
                if row:
                    counts[term] = int(row[0])
        return int(total), counts

    def holding_all(self, words: Sequence[str], k: int) -> list[int]:
        """The newest `k` statements that hold every one of `words` (query words the archive has, however common):
        a query made only of common words finds its statements here, where `lexical_search` leaves such words
        out. No ranking, so no cost that grows with the words' frequency beyond the match."""
        if len(words) < 2:  # one word: lexical_search has it, ranked, if it is rare enough to matter
            return []
        match = " AND ".join(f'"{w}"' for w in words)
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid FROM statements_fts WHERE statements_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
                (match, k),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def _matches_at_most(self, word: str, n: int) -> bool:
        """Whether `word` occurs in 1 to n statements; costs at most n rows, however common the word is."""
        found = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM statements_fts WHERE statements_fts MATCH ? LIMIT ?)",
            (f'"{word}"', n + 1),
        ).fetchone()[0]
        return 0 < int(found) <= n

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

    def counts(self) -> dict[str, int]:
        with self._lock:
            articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
            statements = self._db.execute("SELECT count(*) FROM statements").fetchone()[0]
            publishers = self._db.execute(
                "SELECT count(DISTINCT publisher) FROM articles WHERE publisher IS NOT NULL"
            ).fetchone()[0]
            fact_checks = self._db.execute("SELECT count(*) FROM fact_checks").fetchone()[0]
        return {"articles": articles, "statements": statements, "publishers": publishers, "fact_checks": fact_checks}

    def write_fact_checks(self, checks: Sequence[tuple[FactCheck, bytes]]) -> list[str]:
        """Upsert fact-checks (with their claim vectors) by id in one transaction: created | updated | unchanged."""
        statuses = []
        with self.transaction() as db:
            for check, vector in checks:
                row = db.execute("SELECT * FROM fact_checks WHERE id = ?", (check.id,)).fetchone()
                values = {f: getattr(check, f) for f in FACT_CHECK_FIELDS}
                if row and all(row[f] == v for f, v in values.items()):
                    statuses.append("unchanged")
                    continue
                db.execute(
                    f"INSERT INTO fact_checks ({', '.join(FACT_CHECK_FIELDS)}, vector) "
                    f"VALUES ({', '.join('?' * len(FACT_CHECK_FIELDS))}, ?) ON CONFLICT(id) DO UPDATE SET "
                    f"{', '.join(f'{f} = excluded.{f}' for f in FACT_CHECK_FIELDS)}, vector = excluded.vector",
                    (*values.values(), vector),
                )
                statuses.append("updated" if row else "created")
            if any(s != "unchanged" for s in statuses):
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'fact_checks_generation'")
        return statuses

    def fact_checks_generation(self) -> int:
        """Bumped by every write of fact-checks: readers in other processes reload them when it changes."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'fact_checks_generation'").fetchone()
        return int(row[0])

    def fact_checks(self) -> list[tuple[FactCheck, bytes]]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(FACT_CHECK_FIELDS)}, vector FROM fact_checks").fetchall()
        return [(FactCheck(**{f: row[f] for f in FACT_CHECK_FIELDS}), row["vector"]) for row in rows]

    # watches and their deliveries (index.watch decides what to deliver, service.webhooks sends it)

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


_WATCH_FIELDS = ("claim", "webhook_url", "secret", "min_confidence", "created_at")
