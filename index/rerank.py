"""Rerank: a judged statement's relevance is its fused retrieval score + RELATED_WEIGHT · (1 − P(neutral)), so
one that entails or contradicts the claim outranks one that is merely on the same topic. Relevance orders the
statements within each run of RERANK_WINDOW in retrieval order, so the stance lifts a statement past its near
neighbours but never past the statements retrieval put well ahead of it, and the first RERANK_WINDOW are the same
whatever the pool's size or `top_k`."""

from collections.abc import Sequence

from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.stance import Stance

RELATED_WEIGHT = 0.5
RERANK_WINDOW = 5


def rerank(
    pool: list[Evidence], more: list[Evidence], stances: Sequence[Stance]
) -> tuple[list[Evidence], list[Evidence]]:
    """Each statement of `pool + more` (in retrieval order) with its stance (in that order in `stances`) and
    relevance; the pool and the whole list, each ordered by relevance within runs of RERANK_WINDOW."""
    for e, s in zip(pool + more, stances, strict=True):
        e.stance, e.stance_scores, e.cues, e.model_scores = s.label, s.scores, s.cues, s.probs
        e.reading = s.reading
        e.relevance = round(e.relevance + RELATED_WEIGHT * s.related, 4)
    return _by_relevance(pool), _by_relevance(pool + more)


def _by_relevance(evidence: list[Evidence]) -> list[Evidence]:
    return [
        e
        for start in range(0, len(evidence), RERANK_WINDOW)
        for e in sorted(evidence[start : start + RERANK_WINDOW], key=lambda e: e.relevance, reverse=True)
    ]
