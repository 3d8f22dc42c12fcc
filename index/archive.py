"""The claim pipeline over one data directory: ingest articles, search statements, check claims.

Layout of the data directory: `factdesk.sqlite3` (articles, statements, FTS5, and the encoder that made the
vectors) and `vectors.faiss` (or the vectors live in Milvus, see index.milvus).
An ingest writes SQLite in one transaction (that is what makes it durable), then the in-memory vector
index. The vector file is written atomically, at most SAVE_SHARE of the time (`save_if_due`), so a large
index is not rewritten for every request while a small one is saved after each. If the process dies before a
save, `reconcile()` (run on open) re-embeds statements that have no vector and drops vectors whose statement
is gone, so the store and the index always agree after a restart.

Several processes (server workers, the CLI) may write to one data directory: writers take a file lock, and
each first loads what the others saved, keeping its own changes not yet saved on top.
"""

import fcntl
import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from index.batching import MicroBatcher
from index.cues import Cue
from index.embed import ENCODERS, Embedder, identity, load_embedder
from index.segment import Statement, split_article
from index.stance import OFF_TOPIC, StanceClassifier, load_stance
from index.store import METADATA, Store, StoredArticle, StoredStatement
from index.vectors import open_vectors
from index.verdict import Calibrator, decide_verdict, load_calibrator

# Chosen on 1,000 COVID-Fact dev claims with benchmarks/rerank.py (recall@5 0.784, was 0.738 with reciprocal
# rank fusion and a cosine-only rerank); the NLI held-out slice played no part. The pool: on 600 claims
# recall@5 is 0.800 with 5 or 8 candidates reranked, 0.795 with 10 or 15, while the stance model's time grows
# with every candidate; benchmarks/covidfact.py --limit 600 with 5 vs 8: recall@5 0.803 vs 0.798, macro-F1
# 0.455 vs 0.456, check p50 105 vs 139 ms.
BM25_WEIGHT = 0.8
RERANK_POOL = 5  # candidates given a stance before the top_k are chosen
RELATED_WEIGHT = 0.5
MAX_TOP_K = 50
# checks of one batch run at once: one check's retrieval and tokenising fill the gaps between another's model runs
# (5 pairs over 2 cores leave one idle). COVID-Fact, 2 × 120 claims in process: 7.0-7.2 claims/s one at a time,
# 7.9 with 2, 8.4 with 3, 8.3-8.6 with 4; verdicts identical (a pair's scores do not depend on its batch)
CHECKS_AT_ONCE = 3
SAVE_AFTER_CHANGES = 5_000  # vectors added or removed since the vector file was written
SAVE_SHARE = 0.1  # of the time, at most, spent writing the vector file
REINDEXING = "(reindexing) "  # the recorded encoder while `reindex` runs
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


class InvalidArticle(ValueError):
    """The article cannot be ingested as given (the message says why)."""


class EncoderMismatch(ValueError):
    """The data directory's vectors were made by another encoder than this process's (the message says what to do)."""


@dataclass(slots=True)
class Article:
    text: str
    id: str | None = None
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    published_at: str | None = None
    language: str | None = None

    def resolved_id(self) -> str:
        if self.id:
            return self.id
        key = f"url:{self.url}" if self.url else f"text:{self.text}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def validate(self) -> None:
        if not self.text or not self.text.strip():
            raise InvalidArticle("article text is empty")
        if self.id is not None and (not self.id or len(self.id) > 200 or not set(self.id) <= ID_CHARS):
            raise InvalidArticle("article id must be 1-200 characters of letters, digits and . _ : -")
        if self.published_at:
            try:
                datetime.fromisoformat(self.published_at.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidArticle(f"published_at {self.published_at!r} is not an ISO 8601 date") from None

    def metadata(self) -> dict[str, str | None]:
        return {m: getattr(self, m) for m in METADATA}


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    id: str
    status: str  # created | replaced | updated | unchanged
    statements: int


@dataclass(slots=True)
class Evidence:
    statement: StoredStatement
    article: StoredArticle
    similarity: float
    relevance: float
    stance: str = "neutral"
    stance_scores: dict[str, float] = field(default_factory=dict)
    cues: list[Cue] = field(default_factory=list)
    model_scores: tuple[float, float, float] = OFF_TOPIC  # the stance model's entailment, neutral, contradiction

    @property
    def text(self) -> str:
        return self.statement.text

    @property
    def publisher_key(self) -> str:
        """Independent source: the publisher, else the url's host, else the article itself."""
        if self.article.publisher:
            return self.article.publisher.strip().lower()
        if self.article.url:
            return urlsplit(self.article.url).netloc.lower() or self.article.url
        return f"article:{self.article.id}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    claim: str
    verdict: str
    confidence: float
    supporting_publishers: int
    conflicting_publishers: int
    evidence: list[Evidence]
    probabilities: dict[str, float] = field(default_factory=dict)  # calibrated, of each verdict (empty: no fit)


def encoder_problem(data_dir: Path, recorded: str | None, encoder: str) -> str | None:
    """Why a data directory whose vectors were made by `recorded` cannot be used with `encoder`, if it cannot."""
    if recorded is None or recorded == encoder:
        return None
    if recorded.startswith(REINDEXING):
        return f"{data_dir}: a reindex {recorded[len(REINDEXING) :]} did not finish; run `factdesk reindex` again"
    hint = next((f"open it with --encoder {e}, or " for e in ENCODERS if identity(e) == recorded), "")
    return (
        f"{data_dir}: its vectors were made by {recorded}, not by this process's {encoder}; "
        f"{hint}run `factdesk reindex` to re-embed its statements with this encoder"
    )


def recorded_encoder(data_dir: Path) -> str | None:
    """The encoder a data directory records as the maker of its vectors (None for a new one); loads no model."""
    path = Path(data_dir) / "factdesk.sqlite3"
    if not path.exists():
        return None
    store = Store(path)
    try:
        return store.info("encoder")
    finally:
        store.close()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Archive:
    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder | None = None,
        stance: StanceClassifier | None = None,
        vectors: str | None = None,
        check_encoder: bool = True,
        min_confidence: float | None = None,
    ) -> None:
        """`vectors`: None for FAISS in the data directory, or a Milvus address (see index.milvus).
        `min_confidence`: the calibrated probability a verdict needs to be decided (None: the level shipped with
        the stance model's calibration, see index.verdict).

        The data directory records the encoder that made its vectors; opening it with another raises
        EncoderMismatch, since vectors of two encoders in one index do not compare. `check_encoder=False` is for
        `reindex`, which re-embeds every statement with this archive's encoder.
        """
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or load_embedder()
        self.stance = stance or load_stance()
        self.calibrator: Calibrator | None = load_calibrator(self.stance.name)
        default = self.calibrator.min_confidence if self.calibrator else 0.0
        self.min_confidence = default if min_confidence is None else min_confidence
        self.store = Store(self.data_dir / "factdesk.sqlite3")
        self.encoder = identity(self.embedder)
        if check_encoder:
            self._check_encoder()
        self._generation = self.store.vectors_generation()  # read before the file: a later save reloads
        self.vectors = open_vectors(vectors, self.data_dir, self.embedder.dimension)
        self._write = threading.RLock()
        self._writing_depth = 0
        # changes since the vector file was last written, re-applied when another process's save is loaded
        self._unsaved_add: dict[int, np.ndarray] = {}
        self._unsaved_remove: set[int] = set()
        self._saved_at = time.monotonic()
        self._save_seconds = 0.0
        # a check's BM25 query runs beside its embedding and vector search (SQLite and onnxruntime release the GIL)
        self._lexical = ThreadPoolExecutor(1, "lexical")
        # claims of concurrent requests that queue while one encoder call runs are embedded together in the next
        # (no wait window: a lone check pays nothing); with the default encoder a vector does not depend on the
        # texts batched with it (per-token int8, see index.embed), so this changes no result. 16 clients on the
        # 10k synthetic archive: 12.5-12.9 checks/s, against 12.2-13.0 with each claim embedded on its own (the
        # stance model's pairs set the cost)
        self.embed_queries: MicroBatcher[str, np.ndarray] = MicroBatcher(self.embedder.embed, max_items=32, wait=0.0)
        self.reconciled = self.reconcile()

    def _check_encoder(self) -> None:
        # the first to open a data directory records its encoder (data directories from before this was
        # recorded get the encoder that opens them first)
        problem = encoder_problem(self.data_dir, self.store.record_info("encoder", self.encoder), self.encoder)
        if problem:
            self.store.close()
            raise EncoderMismatch(problem)

    def reindex(self, progress: Callable[[int], None] | None = None, chunk: int = 1024) -> int:
        """Re-embed every statement with this archive's encoder, save, and record it as the vectors' maker.

        Until it ends the data directory is marked as being reindexed, so that a crash half-way (vectors of two
        encoders) makes the next open fail with a clear message instead of mixing them; running it again
        finishes the job. Returns how many statements were embedded.
        """
        with self._writing():
            self.store.set_info("encoder", f"{REINDEXING}to {self.encoder}")
            ids = sorted(self.store.statement_ids())
            self.vectors.remove(self.vectors.ids() - set(ids))
            for start in range(0, len(ids), chunk):
                part = self.store.statements(ids[start : start + chunk])
                keys = np.array(sorted(part), dtype=np.int64)
                self.vectors.add(keys, self.embedder.embed([part[int(i)].text for i in keys]))
                if progress:
                    progress(len(keys))
            self.save()
            self.store.set_info("encoder", self.encoder)
        return len(ids)

    def close(self) -> None:
        if self.unsaved:
            self.save()
        self._lexical.shutdown()
        self.store.close()

    @property
    def unsaved(self) -> int:
        return len(self._unsaved_add) + len(self._unsaved_remove)

    @contextmanager
    def _writing(self) -> Iterator[None]:
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

    def _changed(self, removed: Sequence[int], ids: np.ndarray, vectors: np.ndarray) -> None:
        self.vectors.remove(removed)
        self.vectors.add(ids, vectors)
        for i in removed:
            self._unsaved_add.pop(int(i), None)
        self._unsaved_remove.update(int(i) for i in removed)
        self._unsaved_add.update(zip(ids.tolist(), vectors, strict=True))

    # ingest

    def reconcile(self) -> dict[str, int]:
        """Make the vector index match the store; returns how many vectors were added and removed."""
        with self._writing():
            stored, indexed = self.store.statement_ids(), self.vectors.ids()
            stale, missing = indexed - stored, sorted(stored - indexed)
            self.vectors.remove(stale)
            for chunk in range(0, len(missing), 1024):
                part = self.store.statements(missing[chunk : chunk + 1024])
                ids = np.array(sorted(part), dtype=np.int64)
                self.vectors.add(ids, self.embedder.embed([part[int(i)].text for i in ids]))
            if stale or missing:
                self.save()
        return {"added": len(missing), "removed": len(stale)}

    def ingest(self, articles: Sequence[Article], save: bool = True) -> list[IngestOutcome]:
        """Idempotent upsert by id, in one SQLite transaction; all articles are validated before any write.

        Statements of all new or changed articles are embedded in one call (batching is what makes ingest fast).
        When an id occurs twice in one call, the last occurrence wins. `save`: write the vector file if due.
        """
        for a in articles:
            a.validate()
        latest = {a.resolved_id(): a for a in articles}
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
        with self._writing():
            removed, added = self.store.write_articles(
                [(i, a.text, text_hash(a.text), a.metadata(), st) for i, a, st in changed],
                {i: a.metadata() for i, a in metadata_only.items()},
            )
            self._changed(removed, np.array(added, dtype=np.int64), vectors)
            if save:
                self.save_if_due()
        return [outcome[a.resolved_id()] for a in articles]

    def delete(self, article_id: str, save: bool = True) -> bool:
        with self._writing():
            removed = self.store.delete_article(article_id)
            if removed is None:
                return False
            self._changed(removed, np.zeros(0, dtype=np.int64), np.zeros((0, self.embedder.dimension)))
            if save:
                self.save_if_due()
        return True

    def save(self) -> None:
        """Write the vector file now (atomically) and tell other processes to load it."""
        with self._writing():
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

    def _refresh(self) -> None:
        """Another process (a second server worker, the CLI) saved new vectors: load them."""
        if self.store.vectors_generation() != self._generation:
            with self._write:
                self._catch_up()

    # read

    def article(self, article_id: str) -> tuple[StoredArticle, list[StoredStatement]] | None:
        article = self.store.article(article_id)
        return (article, self.store.statements_of(article_id)) if article else None

    def retrieve(self, query: str, k: int, pool: int | None = None) -> list[Evidence]:
        """Hybrid retrieval: FAISS cosine neighbours and FTS5 BM25 hits, fused by score.

        fused = cosine + BM25_WEIGHT · BM25 / (the query's best BM25): a rare name or number shared with the
        claim lifts a statement, cosine still orders the rest. `pool` candidates come from each side.
        """
        pool = pool or max(50, 4 * k)
        self._refresh()
        lexical_hits = self._lexical.submit(self.store.lexical_search, query, pool)
        qvec = np.stack(self.embed_queries([query]))
        scores, ids = self.vectors.search(qvec, pool)
        similarity = {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}
        lexical = lexical_hits.result()
        lexical_only = [sid for sid, _ in lexical if sid not in similarity]
        for sid, vector in self.vectors.reconstruct(lexical_only).items():
            similarity[sid] = float(vector @ qvec[0])
        best = max((score for _, score in lexical), default=0.0) or 1.0
        fused = dict.fromkeys(similarity, 0.0)
        for sid, score in lexical:
            if sid in fused:  # a vector exists (always, once the store and the index agree)
                fused[sid] = BM25_WEIGHT * score / best
        fused = {sid: similarity[sid] + bonus for sid, bonus in fused.items()}
        ranked = sorted(fused, key=lambda sid: fused[sid], reverse=True)[:k]
        statements = self.store.statements(ranked)
        articles = self.store.articles(s.article_id for s in statements.values())
        return [
            Evidence(
                statements[sid],
                articles[statements[sid].article_id],
                round(similarity[sid], 4),
                round(fused[sid], 4),
            )
            for sid in ranked
            if sid in statements and statements[sid].article_id in articles
        ]

    def check(self, claim: str, top_k: int = 5, min_confidence: float | None = None) -> CheckResult:
        """Retrieve a pool, give each candidate a stance, keep the `top_k` most relevant, decide the verdict
        (decided only when its calibrated probability reaches `min_confidence`, default the archive's).

        Relevance = fused retrieval score + RELATED_WEIGHT · (1 − P(neutral)): a statement that entails or
        contradicts the claim outranks one that is merely on the same topic.
        """
        top_k = min(top_k, MAX_TOP_K)
        pool = self.retrieve(claim, max(top_k, RERANK_POOL))
        stances = self.stance.classify(claim, [e.statement.text for e in pool], [e.similarity for e in pool])
        for e, s in zip(pool, stances, strict=True):
            e.stance, e.stance_scores, e.cues, e.model_scores = s.label, s.scores, s.cues, s.probs
            e.relevance = round(e.relevance + RELATED_WEIGHT * s.related, 4)
        evidence = sorted(pool, key=lambda e: e.relevance, reverse=True)[:top_k]
        level = self.min_confidence if min_confidence is None else min_confidence
        verdict = decide_verdict(claim, evidence, self.calibrator, level)
        return CheckResult(
            claim,
            verdict.label,
            verdict.confidence,
            verdict.supporting_publishers,
            verdict.conflicting_publishers,
            evidence,
            verdict.probabilities,
        )

    def check_many(
        self,
        claims: Iterable[str],
        top_k: int = 5,
        at_once: int = CHECKS_AT_ONCE,
        min_confidence: float | None = None,
    ) -> Iterator[CheckResult]:
        """`check` over many claims, results in input order, `at_once` running side by side; reads `claims`
        only a few ahead of the results, so a file of any size streams."""
        with ThreadPoolExecutor(at_once, "check") as pool:
            running: deque[Future[CheckResult]] = deque()
            try:
                for claim in claims:
                    running.append(pool.submit(self.check, claim, top_k, min_confidence))
                    if len(running) >= at_once:
                        yield running.popleft().result()
                while running:
                    yield running.popleft().result()
            finally:  # the caller stopped early or a check failed: do not start the queued ones
                for future in running:
                    future.cancel()

    def stats(self) -> dict[str, int]:
        self._refresh()
        return self.store.counts() | {"vectors": len(self.vectors)}
