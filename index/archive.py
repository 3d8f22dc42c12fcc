"""The claim pipeline over one data directory as one object, a thin facade: each method hands over to its step
(index.ingest, index.storage, index.retrieve, index.check, index.drafts)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from factdesk.index.check import CHECKS_AT_ONCE, CheckResult, CheckSteps, check, check_many
from factdesk.index.drafts import DocumentStatement, check_document
from factdesk.index.embed import Embedder, identity, load_embedder
from factdesk.index.factchecks import FactCheck, FactCheckMatch
from factdesk.index.ingest.articles import Article, IngestOutcome
from factdesk.index.ingest.checkworthy import CheckworthinessModel
from factdesk.index.ingest.checkworthy import load_model as load_checkworthiness
from factdesk.index.ingest.upsert import Ingest
from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.retrieve.fact_checks import EarlierFactChecks
from factdesk.index.retrieve.hybrid import HybridSearch
from factdesk.index.retrieve.limits import NO_LIMIT, TimeLimit
from factdesk.index.stance import StanceClassifier, load_stance
from factdesk.index.storage.articles import StoredArticle, StoredStatement
from factdesk.index.storage.watches import WatchStore
from factdesk.index.storage.writer import Writer
from factdesk.index.verdict import CALIBRATIONS, Calibrator, load_calibrator
from factdesk.index.verdict.domain import load_domain
from factdesk.index.watch import Watchlist


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
        """`vectors`: see Writer.open. `min_confidence`: the probability a decided verdict needs (None: the level of
        the stance model's `calibration`, index.verdict). A data directory whose vectors another encoder made raises
        EncoderMismatch; `check_encoder=False` is for `reindex`, which re-embeds every statement with this encoder."""
        self.stance = stance or load_stance()
        self.checkworthiness = checkworthiness or load_checkworthiness()
        self.calibrator: Calibrator | None = load_calibrator(self.stance.name, calibration)  # before any file is made
        self.calibration = calibration if self.calibrator else None  # the profile in use; None without a fit
        self.data_dir = Path(data_dir)  # made by the store if it does not exist
        self.embedder = embedder or load_embedder()
        default = self.calibrator.min_confidence if self.calibrator else 0.0
        self.min_confidence = default if min_confidence is None else min_confidence
        self.encoder = identity(self.embedder)
        self.writer = Writer.open(self.data_dir, vectors, self.embedder.dimension, self.encoder, check_encoder)
        self.store, self.vectors = self.writer.store, self.writer.vectors
        self.watches = WatchStore(self.store)  # the watch and delivery tables, on the store's connection
        self.retrieval = HybridSearch(self.store, self.vectors, self.embedder, self.writer.refresh)
        self.embed_queries = self.retrieval.embed_queries
        self.fact_checks = EarlierFactChecks(self.store, self.embedder)
        self.steps = CheckSteps(
            self.embed_queries, self.retrieval, self.stance, self.calibrator, self.fact_checks, load_domain()
        )
        self.watchlist = Watchlist(self.watches, self.embedder, self.stance, self.min_confidence)
        self.ingester = Ingest(self.writer, self.embedder, self.checkworthiness, self.watchlist)
        self.reconciled = self.reconcile()

    def reindex(self, progress: Callable[[int], None] | None = None, chunk: int = 1024) -> int:
        return self.writer.reindex(self.embedder, self.encoder, progress, chunk)

    def reconcile(self) -> dict[str, int]:
        return self.writer.reconcile(self.embedder)

    def close(self) -> None:
        self.retrieval.close()
        self.writer.close()  # saves what is unsaved, closes the store

    @property
    def unsaved(self) -> int:
        return self.writer.unsaved

    def save(self) -> None:
        self.writer.save()

    def save_if_due(self) -> bool:
        return self.writer.save_if_due()

    def ingest(self, articles: Sequence[Article], save: bool = True) -> list[IngestOutcome]:
        return self.ingester.ingest(articles, save)

    def rescore(self, progress: Callable[[int], None] | None = None, chunk: int = 2048) -> int:
        return self.ingester.rescore(progress, chunk)

    def delete(self, article_id: str, save: bool = True) -> bool:
        return self.writer.delete(article_id, save)

    def article(self, article_id: str) -> tuple[StoredArticle, list[StoredStatement]] | None:
        return self.store.with_statements(article_id)

    def retrieve(
        self, query: str, k: int, pool: int | None = None, limit: TimeLimit = NO_LIMIT, vector: np.ndarray | None = None
    ) -> list[Evidence]:
        return self.retrieval.search(query, k, pool, limit, vector)

    def check(
        self, claim: str, top_k: int = 5, min_confidence: float | None = None, limit: TimeLimit = NO_LIMIT
    ) -> CheckResult:
        return check(self.steps, claim, top_k, self._level(min_confidence), limit)

    def check_many(
        self,
        claims: Iterable[str],
        top_k: int = 5,
        at_once: int = CHECKS_AT_ONCE,
        min_confidence: float | None = None,
        limit: TimeLimit = NO_LIMIT,
    ) -> Iterator[CheckResult]:
        return check_many(self.steps, claims, top_k, at_once, self._level(min_confidence), limit)

    def check_document(
        self,
        text: str,
        top_k: int = 5,
        min_checkworthiness: float | None = None,
        min_confidence: float | None = None,
        limit: TimeLimit = NO_LIMIT,
        progress: Callable[[int], None] | None = None,
    ) -> list[DocumentStatement]:
        level = self.checkworthiness.default_level if min_checkworthiness is None else min_checkworthiness
        claims = partial(self.check_many, top_k=top_k, min_confidence=min_confidence, limit=limit)
        return check_document(self.ingester.split_scored(text), level, claims, progress)

    def _level(self, min_confidence: float | None) -> float:
        return self.min_confidence if min_confidence is None else min_confidence

    def ingest_fact_checks(self, checks: Sequence[FactCheck]) -> list[str]:
        return self.fact_checks.ingest(checks)

    def matching_fact_checks(self, vector: np.ndarray, limit: TimeLimit = NO_LIMIT) -> list[FactCheckMatch]:
        return self.fact_checks.matching(vector, limit)

    def info(self, key: str) -> str | None:
        return self.store.info(key)

    def stats(self) -> dict[str, int]:
        self.writer.refresh()
        return self.store.counts() | {"vectors": len(self.vectors)}
