"""The evidence order a check returns (index/rerank.py): relevance within runs of RERANK_WINDOW in retrieval order."""

from types import SimpleNamespace

from factdesk.index.rerank import RERANK_WINDOW, rerank
from factdesk.index.retrieve.evidence import Evidence
from factdesk.index.stance import NEUTRAL, SUPPORTS, Stance

ON_TOPIC = Stance(SUPPORTS, {SUPPORTS: 0.9}, [], (0.9, 0.05, 0.05))
AIMLESS = Stance(NEUTRAL, {NEUTRAL: 0.95}, [], (0.02, 0.95, 0.03))


def _evidence(n: int) -> list[Evidence]:
    """n statements in retrieval order, each fused score a little below the one before."""
    return [
        Evidence(SimpleNamespace(id=i, text=f"statement {i}"), SimpleNamespace(id=f"a{i}"), 0.5, 1.0 - 0.01 * i)  # type: ignore[arg-type]
        for i in range(n)
    ]


def test_the_stance_lifts_a_statement_within_its_window_only() -> None:
    pool, more = _evidence(2 * RERANK_WINDOW), _evidence(0)
    lifted = {1, RERANK_WINDOW + 2}
    stances = [ON_TOPIC if i in lifted else AIMLESS for i in range(len(pool))]
    ranked_pool, shown = rerank(pool, more, stances)
    order = [e.statement.id for e in shown]
    assert order[0] == 1  # lifted past its neighbour
    assert order[RERANK_WINDOW] == RERANK_WINDOW + 2  # leads its own window, never the first
    assert sorted(order[:RERANK_WINDOW]) == list(range(RERANK_WINDOW))
    assert [e.statement.id for e in ranked_pool] == order


def test_the_first_window_does_not_depend_on_how_many_are_judged() -> None:
    stances = [AIMLESS, AIMLESS, ON_TOPIC, AIMLESS, AIMLESS, ON_TOPIC, ON_TOPIC, ON_TOPIC]
    few = rerank(_evidence(RERANK_WINDOW), [], stances[:RERANK_WINDOW])[1]
    many = rerank(_evidence(RERANK_WINDOW), _evidence(8)[RERANK_WINDOW:], stances)[1]
    assert [e.statement.id for e in many[:RERANK_WINDOW]] == [e.statement.id for e in few]
