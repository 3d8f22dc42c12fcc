"""Articles in (one, a page to fetch, or a list) and out, with their statements."""

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.articles import Article, ArticleMetadata, ArticleText, IngestOutcome
from factdesk.index.storage.articles import StoredArticle, StoredStatement
from factdesk.service.schemas.common import MAX_ARTICLES_PER_REQUEST, attributes

METADATA_FIELDS = ArticleMetadata.__struct_fields__


class ArticleIn(Article, kw_only=True):
    """One article: its `text` and what it says about itself."""

    def to_article(self) -> Article:
        return msgspec.convert(self, Article, from_attributes=True)


class ArticleUpload(ArticleMetadata, kw_only=True):
    """One article (`text` and optional metadata), a page to fetch (`url` without `text`), or several articles
    as `{"articles": [...]}`."""

    articles: Annotated[list[ArticleIn], Meta(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)] | None = None
    text: ArticleText | None = None

    def fetches(self) -> bool:
        """Whether the article is to be fetched from its `url` (one article, no text)."""
        return self.articles is None and self.text is None and self.url is not None

    def to_articles(self, fetch: Callable[[str, dict[str, Any]], Article] | None = None) -> list[Article]:
        """Raises InvalidInput when it is neither one article nor a list of them.

        A `url` without `text` is handed to `fetch` with the other fields given (which win over the page's).
        """
        fields = msgspec.structs.asdict(self)
        articles = fields.pop("articles")
        if articles is not None:
            if any(v is not None for v in fields.values()):
                raise InvalidInput('send either one article or {"articles": [...]}, not both')
            return [a.to_article() for a in articles]
        if fields["text"] is None:
            if fields["url"] is None or fetch is None:
                raise InvalidInput('an article needs `text`, or a `url` to fetch it from (or send {"articles": [...]})')
            return [fetch(fields.pop("url"), fields)]
        return [Article(**fields)]


class IngestedArticle(Struct):
    id: str
    status: str
    statements: int


class IngestResponse(Struct):
    articles: list[IngestedArticle]


def ingest_response(outcomes: list[IngestOutcome]) -> IngestResponse:
    return IngestResponse(msgspec.convert(outcomes, list[IngestedArticle], from_attributes=True))


class Placed(Struct):
    """Where a statement stands in its article, and how worth checking it is."""

    text: str
    speaker: str | None
    start: int
    end: int
    position: int
    checkworthiness: float


class StatementOut(Placed):
    id: int
    context: str | None


class ArticleRef(Struct):
    id: str
    url: str | None
    title: str | None
    publisher: str | None
    published_at: str | None


class ArticleOut(ArticleRef):
    text: str
    author: str | None
    language: str | None
    ingested_at: str
    statements: list[StatementOut]


def article_out(article: StoredArticle, statements: list[StoredStatement]) -> ArticleOut:
    return msgspec.convert(attributes(article) | {"statements": statements}, ArticleOut, from_attributes=True)
