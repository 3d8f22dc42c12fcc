"""Hybrid retrieval: vector neighbours and full-text hits, fused by score (see `HybridSearch.search`)."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from factdesk.index.batching import MicroBatcher
from factdesk.index.embed import Embedder
from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.retrieve.lexical import QueryTerms, lexical_scores, query_terms
from factdesk.index.retrieve.limits import NO_LIMIT, TimeLimit
from factdesk.index.storage.sqlite import Store
from factdesk.index.storage.vectors import VectorBackend

# The lexical weight, the pool and the number of candidates reranked were chosen on both dev sets and the
# growing synthetic archive (benchmarks/ranking.py); the figures are in docs/benchmarks.md.
LEXICAL_WEIGHT = 0.65


class HybridSearch:
    """Searches one archive's statements (`embed_queries` embeds the queries); `refresh` first loads vectors another
    process saved."""

    def __init__(self, store: Store, vectors: VectorBackend, embedder: Embedder, refresh: Callable[[], None]) -> None:
        self.store, self.vectors, self.refresh = store, vectors, refresh
        # claims of concurrent requests that queue while one encoder call runs are embedded together in the next
        # (no wait window: a lone check pays nothing); with the default encoder a vector does not depend on the
        # texts batched with it (per-token int8, see index.embed), so this changes no result; under load it costs
        # nothing either (the stance model's pairs set a check's cost; docs/benchmarks.md)
        self.embed_queries: MicroBatcher[str, np.ndarray] = MicroBatcher(embedder.embed, max_items=32, wait=0.0)
        # a check's BM25 query runs beside its embedding and vector search (SQLite and onnxruntime release the GIL)
        self._lexical = ThreadPoolExecutor(1, "lexical")

    def search(
        self,
        query: str,
        k: int,
        pool: int | None = None,
        limit: TimeLimit = NO_LIMIT,
        vector: np.ndarray | None = None,
    ) -> list[Evidence]:
        """Hybrid retrieval: FAISS cosine neighbours and FTS5 BM25 hits, fused by score, best first.

        fused = cosine + LEXICAL_WEIGHT · BM25 / (the best candidate's BM25), BM25 computed over every candidate
        with every query word (`index.retrieve.lexical`): a statement that says the query's names and numbers is lifted
        over one that is merely similar, and a short statement that shares only a common name is not. The
        full-text search only finds candidates. `pool` candidates come from each side; with a time `limit` four
        times as many, since the statements of later articles are dropped before ranking. `vector`: the query's
        embedding, when the caller has it already.
        """
        pool = (pool or max(50, 4 * k)) * (4 if limit.active else 1)
        self.refresh()
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

    def close(self) -> None:
        self._lexical.shutdown()
