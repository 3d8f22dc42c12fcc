"""A retrieved statement with its article, scores and (once judged) its stance towards the claim."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from factdesk.index.stance import OFF_TOPIC
from factdesk.index.storage.articles import StoredArticle, StoredStatement
from factdesk.index.text.cues import Cue


@dataclass(slots=True)
class Evidence:
    statement: StoredStatement
    article: StoredArticle
    similarity: float
    relevance: float
    stance: str = "neutral"
    stance_scores: dict[str, float] = field(default_factory=dict)
    cues: list[Cue] = field(default_factory=list)
    model_scores: tuple[float, float, float] = OFF_TOPIC  # the stance model's entailment, neutral, contradiction
    reading: str | None = None  # the claim as the model read it against this statement, when restated
    copies: list["Evidence"] = field(default_factory=list)  # the same statement in other articles (wire copies)

    @property
    def text(self) -> str:
        return self.statement.text

    @property
    def context(self) -> str | None:
        return self.statement.context

    @property
    def publisher_key(self) -> str:
        """The statement's origin, counted once however many outlets carry it: its publisher, else the url's
        host, else the article itself; for wire copies the first of their sources' keys."""
        return min([_source_key(self.article), *(_source_key(c.article) for c in self.copies)])

    @property
    def sources(self) -> list[StoredArticle]:
        """Every article that carries this statement, its own first."""
        seen = {self.article.id: self.article}
        for c in self.copies:
            seen.setdefault(c.article.id, c.article)
        return list(seen.values())


def _source_key(article: StoredArticle) -> str:
    if article.publisher:
        return article.publisher.strip().lower()
    if article.url:
        return urlsplit(article.url).netloc.lower() or article.url
    return f"article:{article.id}"
