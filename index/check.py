"""A claim's check, one step a module: embed (index.embed) → retrieve (index.retrieve.hybrid) → merge wire copies
(index.retrieve.copies) → stance (index.stance) → rerank (index.rerank) → verdict (index.verdict) → earlier
fact-checks (index.retrieve.fact_checks)."""

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from factdesk.index.batching import MicroBatcher
from factdesk.index.factchecks import FactCheckMatch
from factdesk.index.rerank import rerank
from factdesk.index.retrieve.clauses import closest_clauses
from factdesk.index.retrieve.copies import COPY_POOL, evidence_pool
from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.retrieve.fact_checks import EarlierFactChecks
from factdesk.index.retrieve.hybrid import HybridSearch
from factdesk.index.retrieve.limits import NO_LIMIT, TimeLimit
from factdesk.index.stance import StanceClassifier
from factdesk.index.verdict import Calibrator, decide_verdict
from factdesk.index.verdict.domain import ClaimDomain

RERANK_POOL = 10  # candidates given a stance and read by the verdict, whatever the top_k
RETRIEVAL_POOL = 50  # candidates each side of retrieval (vectors, full text) gives a check
MAX_TOP_K = 50
# checks of one batch run at once: one check's retrieval and tokenising fill the gaps between another's model runs
# (5 pairs over 2 cores leave one idle); verdicts are the same (a pair's scores do not depend on its batch).
# Chosen on COVID-Fact claims in process: figures in docs/benchmarks.md
CHECKS_AT_ONCE = 3


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


@dataclass(frozen=True, slots=True)
class CheckSteps:
    """What a check calls, built once by the archive."""

    embed_queries: MicroBatcher[str, np.ndarray]  # the encoder, claims of concurrent checks embedded together
    retrieval: HybridSearch
    stance: StanceClassifier
    calibrator: Calibrator | None
    fact_checks: EarlierFactChecks
    domain: ClaimDomain  # the claim's domain, which the calibrator reads


def check(steps: CheckSteps, claim: str, top_k: int, min_confidence: float, limit: TimeLimit = NO_LIMIT) -> CheckResult:
    """Decide the verdict over a fixed evidence pool, then return the `top_k` most relevant statements.

    The pool: the RERANK_POOL best candidates of retrieval, wire copies merged among the first COPY_POOL times
    as many, each as similar as its closest clause (index.retrieve.clauses) and given a stance; the verdict
    (decided only when its calibrated probability reaches `min_confidence`) reads that pool whatever `top_k` is.
    A `top_k` above the pool judges as many more candidates for display. `limit`: only articles published by then.

    Relevance = fused retrieval score + RELATED_WEIGHT · (1 − P(neutral)): a statement that entails or
    contradicts the claim outranks one that is merely on the same topic among each RERANK_WINDOW in retrieval
    order (index.rerank).
    """
    top_k = min(top_k, MAX_TOP_K)
    vector = steps.embed_queries([claim])[0]
    wanted = COPY_POOL * max(top_k, RERANK_POOL)
    candidates = steps.retrieval.search(claim, wanted, pool=RETRIEVAL_POOL, limit=limit, vector=vector)
    pool, more = evidence_pool(steps.retrieval.vectors, candidates, RERANK_POOL, top_k)
    judged = pool + more
    closest_clauses(steps.embed_queries, vector, judged)
    stances = steps.stance.classify(claim, [e.text for e in judged], [e.similarity for e in judged])
    pool, evidence = rerank(pool, more, stances)
    verdict = decide_verdict(claim, pool, steps.calibrator, min_confidence, health=steps.domain.health(vector))
    fact_checks = steps.fact_checks.matching(vector, limit)
    return CheckResult(
        claim,
        verdict.label,
        verdict.confidence,
        verdict.supporting_publishers,
        verdict.conflicting_publishers,
        evidence[:top_k],
        verdict.probabilities,
        fact_checks,
        verdict.leaning,
    )


def check_many(
    steps: CheckSteps,
    claims: Iterable[str],
    top_k: int = 5,
    at_once: int = CHECKS_AT_ONCE,
    min_confidence: float = 0.0,
    limit: TimeLimit = NO_LIMIT,
) -> Iterator[CheckResult]:
    """`check` over many claims, results in input order, `at_once` running side by side; reads `claims`
    only a few ahead of the results, so a file of any size streams."""
    with ThreadPoolExecutor(at_once, "check") as pool:
        running: deque[Future[CheckResult]] = deque()
        try:
            for claim in claims:
                running.append(pool.submit(check, steps, claim, top_k, min_confidence, limit))
                if len(running) >= at_once:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()
        finally:  # the caller stopped early or a check failed: do not start the queued ones
            for future in running:
                future.cancel()
