"""An article as given to ingest: its text and metadata, checked before any write, and its id."""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.language import detect_language
from factdesk.index.storage.articles import METADATA

ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


class InvalidArticle(InvalidInput):
    """The article cannot be ingested as given (the message says why)."""


@dataclass(slots=True)
class Article:
    text: str
    id: str | None = None
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    published_at: str | None = None
    language: str | None = None

    def resolved_id(self) -> str:
        if self.id:
            return self.id
        key = f"url:{self.url}" if self.url else f"text:{self.text}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def validate(self) -> None:
        if not self.text or not self.text.strip():
            raise InvalidArticle("article text is empty")
        if self.id is not None and (not self.id or len(self.id) > 200 or not set(self.id) <= ID_CHARS):
            raise InvalidArticle("article id must be 1-200 characters of letters, digits and . _ : -")
        if self.published_at:
            try:
                datetime.fromisoformat(self.published_at.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidArticle(f"published_at {self.published_at!r} is not an ISO 8601 date") from None

    def metadata(self) -> dict[str, str | None]:
        return {m: getattr(self, m) for m in METADATA}


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    id: str
    status: str  # created | replaced | updated | unchanged
    statements: int


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_language(article: Article) -> Article:
    return article if article.language else replace(article, language=detect_language(article.text).code)
