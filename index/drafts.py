"""A draft checked statement by statement: its check-worthy statements' claims, each checked."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from factdesk.index.check import CheckResult
from factdesk.index.ingest.segment import Statement, reported_content

MAX_DOCUMENT_CHECKS = 300  # check-worthy statements of one draft: more is a batch job (`factdesk check`)


@dataclass(frozen=True, slots=True)
class DocumentStatement:
    """A statement of a checked draft and, when it was check-worthy, its result (the claim checked is what it
    reports, without an attribution frame)."""

    statement: Statement
    result: "CheckResult | None"


def check_document(
    statements: Sequence[Statement],
    min_checkworthiness: float,
    check_claims: Callable[[list[str]], Iterator[CheckResult]],
    progress: Callable[[int], None] | None = None,
) -> list[DocumentStatement]:
    """Every statement of a draft, in order, with a check of each one at least `min_checkworthiness` worth
    checking (`progress` is told how many there are, then called with 1 after each; None: the
    check-worthiness model's default level). At most MAX_DOCUMENT_CHECKS are checked, the most check-worthy
    first; the others keep no result."""
    worth = [s for s in statements if s.checkworthiness >= min_checkworthiness]
    if len(worth) > MAX_DOCUMENT_CHECKS:
        first = sorted(worth, key=lambda s: (-s.checkworthiness, s.position))[:MAX_DOCUMENT_CHECKS]
        worth = sorted(first, key=lambda s: s.position)
    claims = [reported_content(s.text) or s.text for s in worth]
    if progress:
        progress(len(claims))
    results = {}
    checked = check_claims(claims)
    for s, result in zip(worth, checked, strict=True):
        results[s.position] = result
        if progress:
            progress(1)
    return [DocumentStatement(s, results.get(s.position)) for s in statements]
