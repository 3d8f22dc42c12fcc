"""An article as given to ingest: its text and metadata, checked before any write, and its id."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.language import detect_language
from factdesk.index.storage.articles import METADATA

ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


class InvalidArticle(InvalidInput):
    """The article cannot be ingested as given (the message says why)."""


MAX_ARTICLE_CHARS = 1_000_000

# At least one character that is neither white space nor invisible (zero-width spaces and joiners, direction
# marks, the soft hyphen, fillers, variation selectors). Spelled out because \S differs between regex dialects
# (Python counts \x1c-\x1f as space, ECMAScript does not; ECMAScript counts U+FEFF, Python does not).
NOT_BLANK = (
    r"[^\t\n\v\f\r \x1c-\x1f\x85\xa0\xad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180e"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)

# ISO 8601 calendar dates (year 0001-9999, real month lengths, 29 February only in leap years), optionally
# with a time and an offset: exactly what the server can parse, so the schema promises no more than it takes.
_DAY = (
    r"(?!0000)(\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
    r"|(\d\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)"
)
ISO_DATE = "^" + _DAY + r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"

ShortText = Annotated[str, Meta(max_length=2_000)]
ArticleText = Annotated[str, Meta(min_length=1, max_length=MAX_ARTICLE_CHARS, pattern=NOT_BLANK)]
ArticleId = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")]
PublishedAt = Annotated[str, Meta(max_length=64, pattern=ISO_DATE, description="ISO 8601 date or date-time.")]


class ArticleMetadata(Struct, kw_only=True, forbid_unknown_fields=True):
    """What an article may say about itself beside its text."""

    id: ArticleId | None = None
    title: ShortText | None = None
    url: ShortText | None = None
    publisher: ShortText | None = None
    author: ShortText | None = None
    published_at: PublishedAt | None = None
    language: Annotated[str, Meta(max_length=16)] | None = None


class Article(ArticleMetadata):
    """An article to ingest, declared once for the pipeline, the API and the command line: decoding one
    (`msgspec.convert`) checks the constraints above; `validate` checks one made in code before any write."""

    text: ArticleText

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
    return (
        article if article.language else msgspec.structs.replace(article, language=detect_language(article.text).code)
    )
