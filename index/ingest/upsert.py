"""Ingest: articles split into statements, embedded and scored for check-worthiness, matched against watched claims,
then written with their vectors in one step under the write lock."""

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from factdesk.index.embed import Embedder
from factdesk.index.ingest.articles import Article, IngestOutcome, text_hash, with_language
from factdesk.index.ingest.checkworthy import CheckworthinessModel
from factdesk.index.ingest.segment import Statement, split_article
from factdesk.index.storage.articles import METADATA
from factdesk.index.storage.writer import Writer
from factdesk.index.watch import NewStatement, Watchlist


class Ingest:
    def __init__(
        self, writer: Writer, embedder: Embedder, checkworthiness: CheckworthinessModel, watchlist: Watchlist
    ) -> None:
        self.writer, self.store, self.embedder = writer, writer.store, embedder
        self.checkworthiness, self.watchlist = checkworthiness, watchlist

    def ingest(self, articles: Sequence[Article], save: bool = True) -> list[IngestOutcome]:
        """Idempotent upsert by id, in one SQLite transaction; all articles are validated before any write.

        Statements of all new or changed articles are embedded in one call (batching is what makes ingest fast).
        When an id occurs twice in one call, the last occurrence wins. `save`: write the vector file if due.
        """
        for a in articles:
            a.validate()
        # an article without a language gets the one its text reads as (kept, so a re-ingest compares equal)
        latest = {a.resolved_id(): with_language(a) for a in articles}
        existing = self.store.articles(latest)
        outcome: dict[str, IngestOutcome] = {}
        metadata_only: dict[str, Article] = {}
        changed: list[tuple[str, Article, list[Statement]]] = []
        for article_id, a in latest.items():
            old = existing.get(article_id)
            if old and old.text_hash == text_hash(a.text):
                n = self.store.statement_count(article_id)
                if all(getattr(old, m) == getattr(a, m) for m in METADATA):
                    outcome[article_id] = IngestOutcome(article_id, "unchanged", n)
                else:
                    metadata_only[article_id] = a
                    outcome[article_id] = IngestOutcome(article_id, "updated", n)
            else:
                statements = split_article(a.text)
                changed.append((article_id, a, statements))
                outcome[article_id] = IngestOutcome(article_id, "replaced" if old else "created", len(statements))
        vectors = self.embedder.embed([s.text for _, _, statements in changed for s in statements])
        scored = iter(self.scored([s for _, _, statements in changed for s in statements], vectors))
        changed = [(i, a, [next(scored) for _ in statements]) for i, a, statements in changed]
        new = [NewStatement(i, a.metadata(), s) for i, a, statements in changed for s in statements]
        # before the write lock: the stance model's time for watched claims holds up no other writer
        matches = self.watchlist.match([n.statement.text for n in new], vectors)
        with self.writer.writing():
            removed, added = self.store.write_articles(
                [(i, a.text, text_hash(a.text), a.metadata(), st) for i, a, st in changed],
                {i: a.metadata() for i, a in metadata_only.items()},
                then=(lambda db, added: Watchlist.queue(db, matches, added, new)) if matches else None,
            )
            self.writer.changed(removed, np.array(added, dtype=np.int64), vectors)
            if save:
                self.writer.save_if_due()
        return [outcome[a.resolved_id()] for a in articles]

    def scored(self, statements: Sequence[Statement], vectors: Sequence[np.ndarray] | np.ndarray) -> list[Statement]:
        """The statements with their check-worthiness from the model (their embeddings: `vectors`)."""
        scores = self.checkworthiness.scores([s.text for s in statements], [s.speaker for s in statements], vectors)
        return [replace(s, checkworthiness=p) for s, p in zip(statements, scores, strict=True)]

    def split_scored(self, text: str) -> list[Statement]:
        """A text's statements with their check-worthiness (a draft's: nothing stored)."""
        statements = split_article(text)
        return self.scored(statements, self.embedder.embed([s.text for s in statements]))

    def rescore(self, progress: Callable[[int], None] | None = None, chunk: int = 2048) -> int:
        """Every stored statement's check-worthiness again, from its stored vector (nothing re-embedded)."""
        ids = sorted(self.store.statement_ids())
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            statements = self.store.statements(part)
            vectors = self.writer.vectors.reconstruct(part)
            found = [sid for sid in part if sid in statements and sid in vectors]
            scores = self.checkworthiness.scores(
                [statements[sid].text for sid in found],
                [statements[sid].speaker for sid in found],
                np.stack([vectors[sid] for sid in found]) if found else np.zeros((0, self.embedder.dimension)),
            )
            with self.writer.writing():
                self.store.set_checkworthiness(dict(zip(found, scores, strict=True)))
            if progress:
                progress(len(part))
        return len(ids)
