"""Search results: the nearest statements with their sources."""

import msgspec
from msgspec import Struct

from factdesk.index.retrieve.evidence import Evidence
from factdesk.service.schemas.articles import ArticleRef, Placed
from factdesk.service.schemas.common import attributes


class SearchHit(Placed):
    statement_id: int
    # what the hits are ordered by: the similarity plus a bonus for how well it matches the query's rarer words
    score: float
    similarity: float
    article: ArticleRef


class SearchResponse(Struct):
    query: str
    hits: list[SearchHit]


def search_hit(e: Evidence) -> SearchHit:
    found = attributes(e.statement) | {"statement_id": e.statement.id, "score": e.relevance}
    return msgspec.convert(found | {"similarity": e.similarity, "article": e.article}, SearchHit, from_attributes=True)
