"""Earlier fact-checks of claims like the one checked: stored with their claims' vectors, matched by cosine."""

from collections.abc import Sequence

import numpy as np

from factdesk.index.embed import Embedder
from factdesk.index.factchecks import MATCH, FactCheck, FactCheckMatch
from factdesk.index.retrieve.limits import NO_LIMIT, TimeLimit
from factdesk.index.storage.fact_checks import FactCheckTables

MAX_FACT_CHECKS = 5  # earlier fact-checks shown with a check, the closest claims first


class EarlierFactChecks:
    def __init__(self, store: FactCheckTables, embedder: Embedder) -> None:
        self.store, self.embedder = store, embedder
        # earlier fact-checks' claims and vectors, loaded again when any process writes fact-checks
        self._fact_checks: tuple[int, list[FactCheck], np.ndarray] | None = None

    def ingest(self, checks: Sequence[FactCheck]) -> list[str]:
        """Store earlier fact-checks (upsert by id, one transaction) with their claims' vectors; the statuses."""
        vectors = self.embedder.embed([c.claim_reviewed for c in checks])
        return self.store.write_fact_checks(
            [(c, np.asarray(v, dtype=np.float32).tobytes()) for c, v in zip(checks, vectors, strict=True)]
        )

    def matching(self, vector: np.ndarray, limit: TimeLimit = NO_LIMIT) -> list[FactCheckMatch]:
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
