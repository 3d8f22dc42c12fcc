"""How well a statement matches a query's words: BM25 over the candidates of a check or search, computed here
rather than by the full-text index so that every candidate is scored (those the vectors found too) and every
query word counts.

score = Σ over the query terms a statement holds of w(term) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · len / avg)),
with w(term) = idf², idf = log(1 + (N − n + ½) / (n + ½)) for a term in n of the archive's N statements, `avg` the
candidates' mean length. Squaring the idf lets a word's weight fall steeply as it grows common, where the
full-text search has to drop words found in more than FREQUENT statements outright; `b` = ½ (BM25's usual ¾
ranks the shortest statements that hold a name first, which a name found in hundreds of statements turns into
noise). Terms are the full-text index's own (stemmed, case folded). Chosen in docs/benchmarks.md.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from factdesk.index.storage.fulltext import FullText
from factdesk.index.text.lexicon import query_words

K1 = 1.2
B = 0.5
IDF_POWER = 2


@dataclass(frozen=True)
class QueryTerms:
    """What a retrieval needs of its query's words, read from the index once."""

    present: list[str]  # the words whose every term the archive holds (for `FullText.holding_all`)
    weights: dict[str, float]  # term → idf² of the terms the archive holds


def query_terms(store: FullText, query: str) -> QueryTerms:
    words = query_words(query)
    stems = store.terms(dict(enumerate(words))) if words else {}
    total, counts = store.term_counts({t for found in stems.values() for t in found})
    weights = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) ** IDF_POWER for t, n in counts.items() if n > 0}
    present = [w for i, w in enumerate(words) if stems[i] and all(counts[t] for t in stems[i])]
    return QueryTerms(present, weights)


def lexical_scores(store: FullText, query: QueryTerms, texts: Mapping[int, str]) -> dict[int, float]:
    """Each text's BM25 score for the query (0 for every text when no query term is in the archive)."""
    weights = query.weights
    if not weights or not texts:
        return dict.fromkeys(texts, 0.0)
    held = store.terms(texts)
    lengths = {key: sum(found.values()) for key, found in held.items()}
    average = max(1.0, sum(lengths.values()) / len(lengths))
    scores = {}
    for key, found in held.items():
        norm = K1 * (1 - B + B * lengths[key] / average)
        scores[key] = sum(w * found[t] * (K1 + 1) / (found[t] + norm) for t, w in weights.items() if found[t])
    return scores
