"""A compound statement as close to a claim as its closest clause: "Refugees crossed into Rwanda, while dozens of
soldiers were seen discarding their uniforms" is about the soldiers as much as about the refugees, though its
vector, the mean of both halves, is close to neither."""

import re
from collections.abc import Callable, Sequence

import numpy as np

from factdesk.index.retrieve.evidence import Evidence

# where a sentence joins two statements of its own
CLAUSE_BREAK = re.compile(r", while |; |, but | — | – |, whereas ")
MIN_CLAUSE_WORDS = 4  # shorter parts ("— he said —") are asides, not statements
# clauses read of one statement: a sentence joins two to four; one of many more is a list, or text written to make
# every check that finds it embed thousands
MAX_CLAUSES = 4


def clauses(text: str) -> list[str]:
    """The clauses of a compound statement, its first MAX_CLAUSES; none for a simple one."""
    parts = [part.strip() for part in CLAUSE_BREAK.split(text)]
    parts = [part for part in parts if len(part.split()) >= MIN_CLAUSE_WORDS]
    return parts[:MAX_CLAUSES] if len(parts) > 1 else []


def closest_clauses(
    embed: Callable[[Sequence[str]], Sequence[np.ndarray]], claim: np.ndarray, evidence: Sequence[Evidence]
) -> None:
    """Raise each compound statement's similarity to that of its clause closest to the claim, where higher:
    one call of `embed` for all the clauses."""
    asked = [(e, clause) for e in evidence for clause in clauses(e.text)]
    if not asked:
        return
    vectors = embed([clause for _, clause in asked])
    for (e, _), vector in zip(asked, vectors, strict=True):
        e.similarity = max(e.similarity, float(np.dot(claim, vector)))
