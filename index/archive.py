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
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from index.batching import MicroBatcher
from index.embed import ENCODERS, Embedder, identity, load_embedder
from index.errors import Conflict, InvalidInput
from index.factchecks import MATCH, FactCheck, FactCheckMatch
from index.ingest.checkworthy import CheckworthinessModel
from index.ingest.checkworthy import load_model as load_checkworthiness
from index.ingest.language import detect_language
from index.ingest.segment import Statement, reported_content, split_article
from index.retrieve.lexical import QueryTerms, lexical_scores, query_terms
from index.stance import OFF_TOPIC, StanceClassifier, load_stance
from index.storage.articles import METADATA, StoredArticle, StoredStatement
from index.storage.sqlite import Store
from index.storage.vectors import open_vectors
from index.storage.watches import WatchStore
from index.text.cues import Cue, find_cues
from index.verdict import CALIBRATIONS, Calibrator, decide_verdict, load_calibrator
from index.watch import NewStatement, Watchlist

# The lexical weight, the pool and the number of candidates reranked were chosen on both dev sets and the
# growing synthetic archive (benchmarks/ranking.py); the figures are in docs/benchmarks.md.
LEXICAL_WEIGHT = 0.65
RERANK_POOL = 5  # candidates given a stance and read by the verdict, whatever the top_k
RETRIEVAL_POOL = 50  # candidates each side of retrieval (vectors, full text) gives a check
RELATED_WEIGHT = 0.5
MAX_TOP_K = 50
# checks of one batch run at once: one check's retrieval and tokenising fill the gaps between another's model runs
# (5 pairs over 2 cores leave one idle); verdicts are the same (a pair's scores do not depend on its batch).
# Chosen on COVID-Fact claims in process: figures in docs/benchmarks.md
CHECKS_AT_ONCE = 3
SAVE_AFTER_CHANGES = 5_000  # vectors added or removed since the vector file was written
SAVE_SHARE = 0.1  # of the time, at most, spent writing the vector file
REINDEXING = "(reindexing) "  # the recorded encoder while `reindex` runs
# candidates per evidence item looked at for wire copies: copies of one story would otherwise fill the top_k
COPY_POOL = 3
# two statements are one lightly edited sentence when their vectors are this close, their words overlap this much
# (Jaccard) and nothing tells them apart: no cue either way, the same figures; chosen in docs/benchmarks.md
NEAR_COPY = 0.95
COPY_OVERLAP = 0.6
FIGURES = re.compile(r"\d+(?:[.,]\d+)*")
MAX_FACT_CHECKS = 5  # earlier fact-checks shown with a check, the closest claims first
MAX_DOCUMENT_CHECKS = 300  # check-worthy statements of one draft: more is a batch job (`factdesk check`)
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


class InvalidArticle(InvalidInput):
    """The article cannot be ingested as given (the message says why)."""


class EncoderMismatch(Conflict):
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


def _moment(text: str, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset is given); a bare date is its first
    moment, or its last with `end_of_day` (an `as_of` date includes the whole day)."""
    text = text.strip()
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if len(text) <= 10 and end_of_day:
        value = datetime.combine(value.date(), day_time.max)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """Evidence as known at a moment: articles published on or before `as_of`; those without a date in or out."""

    as_of: datetime | None = None
    undated: bool = True

    @classmethod
    def parse(cls, as_of: str | None, undated: str = "include") -> "TimeLimit":
        """Raises InvalidInput with a message for a date that is not ISO 8601 or `undated` not include|exclude."""
        if undated not in ("include", "exclude"):
            raise InvalidInput(f"undated must be include or exclude, not {undated!r}")
        try:
            moment = _moment(as_of, end_of_day=True) if as_of else None
        except ValueError:
            raise InvalidInput(f"as_of {as_of!r} is not an ISO 8601 date or date-time") from None
        return cls(moment, undated == "include")

    @property
    def active(self) -> bool:
        return self.as_of is not None or not self.undated

    def allows(self, published_at: str | None) -> bool:
        if not published_at:
            return self.undated
        if self.as_of is None:
            return True
        try:
            return _moment(published_at, end_of_day=False) <= self.as_of
        except ValueError:  # not validated when it was stored (an old data directory): unknown date
            return self.undated


NO_LIMIT = TimeLimit()


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
    reading: str | None = None  # the claim as the model read it against this statement, when restated
    copies: list["Evidence"] = field(default_factory=list)  # the same statement in other articles (wire copies)

    @property
    def text(self) -> str:
        return self.statement.text

    @property
    def publisher_key(self) -> str:
        """The statement's origin, counted once however many outlets carry it: its publisher, else the url's
        host, else the article itself; for wire copies the first of their sources' keys."""
        return min([_source_key(self.article), *(_source_key(c.article) for c in self.copies)])

    @property
    def sources(self) -> list[StoredArticle]:
        """Every article that carries this statement, its own first."""
        seen = {self.article.id: self.article}
        for c in self.copies:
            seen.setdefault(c.article.id, c.article)
        return list(seen.values())


def _source_key(article: StoredArticle) -> str:
    if article.publisher:
        return article.publisher.strip().lower()
    if article.url:
        return urlsplit(article.url).netloc.lower() or article.url
    return f"article:{article.id}"


def normalised(text: str) -> str:
    """Text compared for copies: case, punctuation and spacing aside."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _with_language(article: Article) -> Article:
    return article if article.language else replace(article, language=detect_language(article.text).code)


def _ordinary_case(text: str) -> bool:
    """Mostly lower case: cues (names, dates) can be read from it, unlike from a text in capitals."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.islower() for ch in letters) >= len(letters) / 2


Item = tuple["Evidence", dict[str, "Evidence"]]  # an evidence item of merged copies: its first, one per text


def _near_copy(original: Evidence, other: Evidence, vectors: dict[int, np.ndarray]) -> bool:
    """The same sentence lightly edited: close vectors, mostly the same words, and nothing that tells them apart
    (no cue either way, the same figures). Texts in capitals hide their cues: only their exact equals join them."""
    if not (_ordinary_case(original.text) and _ordinary_case(other.text)):
        return False
    a, b = vectors.get(original.statement.id), vectors.get(other.statement.id)
    if a is None or b is None or float(a @ b) < NEAR_COPY:
        return False
    words, other_words = set(normalised(original.text).split()), set(normalised(other.text).split())
    if len(words & other_words) < COPY_OVERLAP * len(words | other_words):
        return False
    if set(FIGURES.findall(original.text)) != set(FIGURES.findall(other.text)):
        return False
    return not find_cues(original.text, other.text) and not find_cues(other.text, original.text)


@dataclass(frozen=True, slots=True)
class DocumentStatement:
    """A statement of a checked draft and, when it was check-worthy, its result (the claim checked is what it
    reports, without an attribution frame)."""

    statement: Statement
    result: "CheckResult | None"


@dataclass(frozen=True, slots=True)
class CheckResult:
    claim: str
    verdict: str
    confidence: float
    supporting_publishers: int
    conflicting_publishers: int
    evidence: list[Evidence]
    # of each verdict: calibrated with a fit for the stance model, else a raw reading (index.verdict.raw_probabilities)
    probabilities: dict[str, float] = field(default_factory=dict)
    fact_checks: list[FactCheckMatch] = field(default_factory=list)  # earlier reviews of a matching claim
    leaning: str | None = None  # not decided: the decided verdict the evidence leans to


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
        calibration: str = CALIBRATIONS[0],
        checkworthiness: CheckworthinessModel | None = None,
    ) -> None:
        """`vectors`: None for FAISS in the data directory, or a Milvus address (see index.milvus).
        `min_confidence`: the calibrated probability a verdict needs to be decided (None: the level shipped with
        the stance model's calibration, see index.verdict). `calibration`: which of the stance model's fits turns
        evidence into verdict probabilities (index.verdict.CALIBRATIONS); ValueError for one it lacks.

        The data directory records the encoder that made its vectors; opening it with another raises
        EncoderMismatch, since vectors of two encoders in one index do not compare. `check_encoder=False` is for
        `reindex`, which re-embeds every statement with this archive's encoder.
        """
        self.stance = stance or load_stance()
        self.checkworthiness = checkworthiness or load_checkworthiness()
        self.calibrator: Calibrator | None = load_calibrator(self.stance.name, calibration)  # before any file is made
        self.calibration = calibration if self.calibrator else None  # the profile in use; None without a fit
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or load_embedder()
        default = self.calibrator.min_confidence if self.calibrator else 0.0
        self.min_confidence = default if min_confidence is None else min_confidence
        self.store = Store(self.data_dir / "factdesk.sqlite3")
        self.watches = WatchStore(self.store)  # the watch and delivery tables, on the store's connection
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
        # texts batched with it (per-token int8, see index.embed), so this changes no result; under load it costs
        # nothing either (the stance model's pairs set a check's cost; docs/benchmarks.md)
        self.embed_queries: MicroBatcher[str, np.ndarray] = MicroBatcher(self.embedder.embed, max_items=32, wait=0.0)
        # earlier fact-checks' claims and vectors, loaded again when any process writes fact-checks
        self._fact_checks: tuple[int, list[FactCheck], np.ndarray] | None = None
        self.watchlist = Watchlist(self.store, self.embedder, self.stance, self.min_confidence)
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
        # an article without a language gets the one its text reads as (kept, so a re-ingest compares equal)
        latest = {a.resolved_id(): _with_language(a) for a in articles}
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
        with self._writing():
            removed, added = self.store.write_articles(
                [(i, a.text, text_hash(a.text), a.metadata(), st) for i, a, st in changed],
                {i: a.metadata() for i, a in metadata_only.items()},
                then=(lambda db, added: Watchlist.queue(db, matches, added, new)) if matches else None,
            )
            self._changed(removed, np.array(added, dtype=np.int64), vectors)
            if save:
                self.save_if_due()
        return [outcome[a.resolved_id()] for a in articles]

    def scored(self, statements: Sequence[Statement], vectors: Sequence[np.ndarray] | np.ndarray) -> list[Statement]:
        """The statements with their check-worthiness from the model (their embeddings: `vectors`)."""
        scores = self.checkworthiness.scores([s.text for s in statements], [s.speaker for s in statements], vectors)
        return [replace(s, checkworthiness=p) for s, p in zip(statements, scores, strict=True)]

    def rescore(self, progress: Callable[[int], None] | None = None, chunk: int = 2048) -> int:
        """Every stored statement's check-worthiness again, from its stored vector (nothing re-embedded)."""
        ids = sorted(self.store.statement_ids())
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            statements = self.store.statements(part)
            vectors = self.vectors.reconstruct(part)
            found = [sid for sid in part if sid in statements and sid in vectors]
            scores = self.checkworthiness.scores(
                [statements[sid].text for sid in found],
                [statements[sid].speaker for sid in found],
                np.stack([vectors[sid] for sid in found]) if found else np.zeros((0, self.embedder.dimension)),
            )
            with self._writing():
                self.store.set_checkworthiness(dict(zip(found, scores, strict=True)))
            if progress:
                progress(len(part))
        return len(ids)

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

    def retrieve(
        self,
        query: str,
        k: int,
        pool: int | None = None,
        limit: TimeLimit = NO_LIMIT,
        vector: np.ndarray | None = None,
    ) -> list[Evidence]:
        """Hybrid retrieval: FAISS cosine neighbours and FTS5 BM25 hits, fused by score, best first.

        fused = cosine + LEXICAL_WEIGHT · BM25 / (the best candidate's BM25), BM25 computed over every candidate
        with every query word (`index.lexical`): a statement that says the query's names and numbers is lifted
        over one that is merely similar, and a short statement that shares only a common name is not. The
        full-text search only finds candidates. `pool` candidates come from each side; with a time `limit` four
        times as many, since the statements of later articles are dropped before ranking. `vector`: the query's
        embedding, when the caller has it already.
        """
        pool = (pool or max(50, 4 * k)) * (4 if limit.active else 1)
        self._refresh()
        lexical_hits = self._lexical.submit(self._lexical_candidates, query, pool)
        qvec = np.stack([vector]) if vector is not None else np.stack(self.embed_queries([query]))
        scores, ids = self.vectors.search(qvec, pool)
        similarity = {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}
        found, terms = lexical_hits.result()
        lexical_only = [sid for sid in found if sid not in similarity]
        for sid, vector in self.vectors.reconstruct(lexical_only).items():
            similarity[sid] = float(vector @ qvec[0])
        statements = self.store.statements(similarity)  # a vector exists for each (once store and index agree)
        words = lexical_scores(self.store, terms, {sid: s.text for sid, s in statements.items()})
        best = max(words.values(), default=0.0) or 1.0
        fused = {sid: similarity[sid] + LEXICAL_WEIGHT * words[sid] / best for sid in statements}
        ranked = sorted(fused, key=lambda sid: (-fused[sid], sid))
        articles = self.store.articles({statements[sid].article_id for sid in ranked[: None if limit.active else k]})
        kept = [
            sid
            for sid in ranked
            if statements[sid].article_id in articles
            and limit.allows(articles[statements[sid].article_id].published_at)
        ]
        return [
            Evidence(
                statements[sid],
                articles[statements[sid].article_id],
                round(similarity[sid], 4),
                round(fused[sid], 4),
            )
            for sid in kept[:k]
        ]

    def _lexical_candidates(self, query: str, pool: int) -> tuple[list[int], QueryTerms]:
        """Full-text candidates (the BM25 best of the query's rarer words, then statements holding all its words)
        and the query's terms, read once for both the candidates and their scores."""
        terms = query_terms(self.store, query)
        found = [sid for sid, _ in self.store.lexical_search(query, pool)]
        seen = set(found)
        return found + [sid for sid in self.store.holding_all(terms.present, pool) if sid not in seen], terms

    def merge_copies(self, candidates: Sequence[Evidence]) -> list[Evidence]:
        """Wire copies as one evidence item, order kept: a candidate joins an earlier item when its text is the same
        as one of the item's (normalised), or a light edit of every different text in it (`_near_copy`)."""
        return [first for first, _ in self._merge_into([], candidates)]

    def _merge_into(self, items: list[Item], candidates: Sequence[Evidence], closed: int = 0) -> list[Item]:
        """`merge_copies` going on from `items` (each: its first statement, one statement per distinct text);
        the first `closed` items take no more copies: a later copy of one of them is dropped."""
        known = [e.statement.id for _, texts in items for e in texts.values()]
        vectors = self.vectors.reconstruct(known + [e.statement.id for e in candidates])
        for e in candidates:
            key = normalised(e.text)
            home = next((item for item in items if key in item[1]), None) or next(
                (item for item in items if all(_near_copy(v, e, vectors) for v in item[1].values())), None
            )
            if home is None:
                items.append((e, {key: e}))
            elif items.index(home) >= closed:
                home[0].copies.append(e)
                # one statement per distinct text: the one in ordinary case when there is one
                if key not in home[1] or (_ordinary_case(e.text) and not _ordinary_case(home[1][key].text)):
                    home[1][key] = e
        return items

    def _judge(self, claim: str, pool: Sequence[Evidence]) -> None:
        """Each candidate's stance, and its relevance: + RELATED_WEIGHT · (1 − P(neutral))."""
        stances = self.stance.classify(claim, [e.statement.text for e in pool], [e.similarity for e in pool])
        for e, s in zip(pool, stances, strict=True):
            e.stance, e.stance_scores, e.cues, e.model_scores = s.label, s.scores, s.cues, s.probs
            e.reading = s.reading
            e.relevance = round(e.relevance + RELATED_WEIGHT * s.related, 4)

    def check(
        self, claim: str, top_k: int = 5, min_confidence: float | None = None, limit: TimeLimit = NO_LIMIT
    ) -> CheckResult:
        """Decide the verdict over a fixed evidence pool, then return the `top_k` most relevant statements.

        The pool: the RERANK_POOL best candidates of retrieval, wire copies merged among the first COPY_POOL times
        as many, each given a stance; the verdict (decided only when its calibrated probability reaches
        `min_confidence`, default the archive's) reads that pool whatever `top_k` is. A `top_k` above the pool
        judges as many more candidates for display. `limit`: only articles published by then.

        Relevance = fused retrieval score + RELATED_WEIGHT · (1 − P(neutral)): a statement that entails or
        contradicts the claim outranks one that is merely on the same topic.
        """
        top_k = min(top_k, MAX_TOP_K)
        wanted = max(top_k, RERANK_POOL)
        vector = self.embed_queries([claim])[0]
        candidates = self.retrieve(claim, COPY_POOL * wanted, pool=RETRIEVAL_POOL, limit=limit, vector=vector)
        judged = COPY_POOL * RERANK_POOL
        items = self._merge_into([], candidates[:judged])
        pool = [first for first, _ in items[:RERANK_POOL]]
        self._judge(claim, pool)
        level = self.min_confidence if min_confidence is None else min_confidence
        verdict = decide_verdict(claim, sorted(pool, key=lambda e: e.relevance, reverse=True), self.calibrator, level)
        more: list[Evidence] = []
        if top_k > RERANK_POOL:
            items = self._merge_into(items, candidates[judged:], closed=RERANK_POOL)
            more = [first for first, _ in items[RERANK_POOL:top_k]]
            self._judge(claim, more)
        evidence = sorted(pool + more, key=lambda e: e.relevance, reverse=True)[:top_k]
        return CheckResult(
            claim,
            verdict.label,
            verdict.confidence,
            verdict.supporting_publishers,
            verdict.conflicting_publishers,
            evidence,
            verdict.probabilities,
            self.matching_fact_checks(vector, limit),
            verdict.leaning,
        )

    def ingest_fact_checks(self, checks: Sequence[FactCheck]) -> list[str]:
        """Store earlier fact-checks (upsert by id, one transaction) with their claims' vectors; the statuses."""
        vectors = self.embedder.embed([c.claim_reviewed for c in checks])
        return self.store.write_fact_checks(
            [(c, np.asarray(v, dtype=np.float32).tobytes()) for c, v in zip(checks, vectors, strict=True)]
        )

    def matching_fact_checks(self, vector: np.ndarray, limit: TimeLimit = NO_LIMIT) -> list[FactCheckMatch]:
        """Earlier reviews of claims at least MATCH similar to this one (published by `limit`), closest first."""
        generation = self.store.fact_checks_generation()
        if self._fact_checks is None or self._fact_checks[0] != generation:
            stored = self.store.fact_checks()
            matrix = np.stack([np.frombuffer(v, dtype=np.float32) for _, v in stored]) if stored else np.zeros((0, 1))
            self._fact_checks = (generation, [c for c, _ in stored], matrix)
        _, checks, matrix = self._fact_checks
        if not checks:
            return []
        similarity = matrix @ np.asarray(vector, dtype=np.float32)
        order = [int(i) for i in np.argsort(-similarity) if similarity[i] >= MATCH]
        found = [FactCheckMatch(checks[i], round(float(similarity[i]), 4)) for i in order]
        return [m for m in found if limit.allows(m.fact_check.date_published)][:MAX_FACT_CHECKS]

    def check_many(
        self,
        claims: Iterable[str],
        top_k: int = 5,
        at_once: int = CHECKS_AT_ONCE,
        min_confidence: float | None = None,
        limit: TimeLimit = NO_LIMIT,
    ) -> Iterator[CheckResult]:
        """`check` over many claims, results in input order, `at_once` running side by side; reads `claims`
        only a few ahead of the results, so a file of any size streams."""
        with ThreadPoolExecutor(at_once, "check") as pool:
            running: deque[Future[CheckResult]] = deque()
            try:
                for claim in claims:
                    running.append(pool.submit(self.check, claim, top_k, min_confidence, limit))
                    if len(running) >= at_once:
                        yield running.popleft().result()
                while running:
                    yield running.popleft().result()
            finally:  # the caller stopped early or a check failed: do not start the queued ones
                for future in running:
                    future.cancel()

    def check_document(
        self,
        text: str,
        top_k: int = 5,
        min_checkworthiness: float | None = None,
        min_confidence: float | None = None,
        limit: TimeLimit = NO_LIMIT,
        progress: Callable[[int], None] | None = None,
    ) -> list[DocumentStatement]:
        """Every statement of a draft, in order, with a check of each one at least `min_checkworthiness` worth
        checking (`progress` is told how many there are, then called with 1 after each; None: the
        check-worthiness model's default level). At most MAX_DOCUMENT_CHECKS are checked, the most check-worthy
        first; the others keep no result."""
        statements = split_article(text)
        statements = self.scored(statements, self.embedder.embed([s.text for s in statements]))
        level = self.checkworthiness.default_level if min_checkworthiness is None else min_checkworthiness
        worth = [s for s in statements if s.checkworthiness >= level]
        if len(worth) > MAX_DOCUMENT_CHECKS:
            first = sorted(worth, key=lambda s: (-s.checkworthiness, s.position))[:MAX_DOCUMENT_CHECKS]
            worth = sorted(first, key=lambda s: s.position)
        claims = [reported_content(s.text) or s.text for s in worth]
        if progress:
            progress(len(claims))
        results = {}
        checked = self.check_many(claims, top_k, min_confidence=min_confidence, limit=limit)
        for s, result in zip(worth, checked, strict=True):
            results[s.position] = result
            if progress:
                progress(1)
        return [DocumentStatement(s, results.get(s.position)) for s in statements]

    def info(self, key: str) -> str | None:
        """A recorded fact about the data directory, e.g. `encoder`: the encoder that made its vectors."""
        return self.store.info(key)

    def stats(self) -> dict[str, int]:
        self._refresh()
        return self.store.counts() | {"vectors": len(self.vectors)}
