"""Watched claims: the statements an ingest adds that support or conflict with a watched claim.

A watch is a claim, a webhook address and a secret. `Archive.ingest` asks `Watchlist.match` which of the new
statements bear on a watched claim (before it writes, off the write lock), then queues one delivery per match in
the very transaction that stores the statements: both are committed or neither is, so no match is lost to a
crash. Sending is the service's business (service.outbound.webhooks); this module only decides what to send.

A statement matches when the stance model, on the same path a check uses (`StanceClassifier.classify`: only
statements at least ON_TOPIC similar are scored), calls it supporting or conflicting with a score of at least the
watch's `min_confidence`, or the archive's level when the watch has none.
"""

import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from factdesk.index.embed import Embedder
from factdesk.index.ingest.segment import Statement
from factdesk.index.stance import CONFLICTS, ON_TOPIC, SUPPORTS, Stance, StanceClassifier
from factdesk.index.storage.watches import StoredWatch, WatchTables

ARTICLE_FIELDS = ("url", "publisher", "published_at", "title")


@dataclass(frozen=True, slots=True)
class Match:
    watch: StoredWatch
    index: int  # the statement's position in the ingest's list of new statements
    similarity: float
    stance: Stance


@dataclass(frozen=True, slots=True)
class NewStatement:
    """A statement an ingest adds, with its article's id and metadata (what a delivery tells about it)."""

    article_id: str
    metadata: dict[str, str | None]
    statement: Statement


def new_watch(claim: str, webhook_url: str, min_confidence: float | None) -> StoredWatch:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return StoredWatch(
        f"w-{secrets.token_hex(8)}", claim, webhook_url, secrets.token_urlsafe(32), min_confidence, created
    )


def delivery_payload(match: Match, statement_id: int, new: NewStatement) -> bytes:
    """The webhook body: compact JSON, the exact bytes that are signed and sent (and stored until then)."""
    s = new.statement
    body = {
        "watch_id": match.watch.id,
        "claim": match.watch.claim,
        "statement": {"id": statement_id, "text": s.text, "start": s.start, "end": s.end, "speaker": s.speaker},
        "stance": match.stance.label,
        "scores": match.stance.scores,
        "similarity": round(match.similarity, 4),
        "article": {"id": new.article_id, **{f: new.metadata.get(f) for f in ARTICLE_FIELDS}},
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Watchlist:
    """The watches of one data directory, their claims embedded once and again whenever any process changes them."""

    def __init__(self, store: WatchTables, embedder: Embedder, stance: StanceClassifier, min_confidence: float) -> None:
        self.store = store
        self.embedder = embedder
        self.stance = stance
        self.min_confidence = min_confidence
        self._loaded: tuple[int, list[StoredWatch], np.ndarray] | None = None

    def current(self) -> tuple[list[StoredWatch], np.ndarray]:
        """The watches and their claims' vectors; one SQLite read when nothing changed."""
        generation = self.store.watches_generation()
        if self._loaded is None or self._loaded[0] != generation:
            watches = self.store.watches()
            vectors = (
                self.embedder.embed([w.claim for w in watches]) if watches else np.zeros((0, self.embedder.dimension))
            )
            self._loaded = (generation, watches, np.asarray(vectors, dtype=np.float32))
        return self._loaded[1], self._loaded[2]

    def match(self, texts: Sequence[str], vectors: np.ndarray) -> list[Match]:
        """Statements (texts and their normalised vectors) that support or conflict with a watched claim."""
        if not texts:
            return []
        watches, claims = self.current()
        if not watches:
            return []
        similarity = claims @ np.asarray(vectors, dtype=np.float32).T  # watches × statements, cosine
        found = []
        for watch, row in zip(watches, similarity, strict=True):
            on_topic = [int(i) for i in np.flatnonzero(row >= ON_TOPIC)]
            if not on_topic:
                continue
            level = self.min_confidence if watch.min_confidence is None else watch.min_confidence
            stances = self.stance.classify(watch.claim, [texts[i] for i in on_topic], [float(row[i]) for i in on_topic])
            found += [
                Match(watch, i, float(row[i]), s)
                for i, s in zip(on_topic, stances, strict=True)
                if s.label in (SUPPORTS, CONFLICTS) and s.scores[s.label] >= level
            ]
        return found

    @staticmethod
    def queue(
        db: sqlite3.Connection, matches: Sequence[Match], added: Sequence[int], new: Sequence[NewStatement]
    ) -> None:
        """Queue a delivery per match inside the ingest's transaction (`added`: the new statements' ids)."""
        WatchTables.queue_deliveries(
            db,
            [
                (
                    m.watch.id,
                    added[m.index],
                    new[m.index].article_id,
                    m.stance.label,
                    delivery_payload(m, added[m.index], new[m.index]),
                )
                for m in matches
            ],
            time.time(),
        )
