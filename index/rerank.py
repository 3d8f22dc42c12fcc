"""Rerank: a judged statement's relevance is its fused retrieval score + RELATED_WEIGHT · (1 − P(neutral)), so
one that entails or contradicts the claim outranks one that is merely on the same topic."""

from collections.abc import Sequence

from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.stance import Stance

RELATED_WEIGHT = 0.5


def rerank(
    pool: list[Evidence], more: list[Evidence], stances: Sequence[Stance]
) -> tuple[list[Evidence], list[Evidence]]:
    """Each statement of `pool + more` with its stance (in that order in `stances`) and relevance; the pool and the
    whole list, each most relevant first."""
    for e, s in zip(pool + more, stances, strict=True):
        e.stance, e.stance_scores, e.cues, e.model_scores = s.label, s.scores, s.cues, s.probs
        e.reading = s.reading
        e.relevance = round(e.relevance + RELATED_WEIGHT * s.related, 4)
    return _by_relevance(pool), _by_relevance(pool + more)


def _by_relevance(evidence: list[Evidence]) -> list[Evidence]:
    return sorted(evidence, key=lambda e: e.relevance, reverse=True)
