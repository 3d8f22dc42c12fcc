"""Articles and their statements. Statement ids never get reused (AUTOINCREMENT), so a stale vector can never
point at another statement."""

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from factdesk.index.ingest.segment import Statement
from factdesk.index.storage.database import Tables

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
METADATA = ("title", "url", "publisher", "author", "published_at", "language")


@dataclass(frozen=True, slots=True)
class StoredStatement(Statement):
    """A statement as the archive keeps it: its row id and article beside what segmentation found."""

    id: int
    article_id: str


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


class ArticleTables(Tables):
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

    def with_statements(self, article_id: str) -> tuple[StoredArticle, list[StoredStatement]] | None:
        article = self.article(article_id)
        return (article, self.statements_of(article_id)) if article else None

    def statement_ids(self) -> set[int]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM statements")}
