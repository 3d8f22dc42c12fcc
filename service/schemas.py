"""Request and response bodies, shared by the HTTP API and the command line."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlencode, urlsplit

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema
from msgspec import Meta, Struct

from index.archive import MAX_TOP_K, Article, CheckResult, DocumentStatement, Evidence, TimeLimit
from index.factchecks import FactCheck, FactCheckMatch, claim_review
from index.storage.articles import StoredArticle, StoredStatement
from index.storage.watches import StoredDelivery, StoredWatch
from index.text.cues import Cue, Span

MAX_ARTICLE_CHARS = 1_000_000
MAX_CLAIM_CHARS = 2_000
MAX_BATCH_CLAIMS = 1_000  # more claims: the command line, or several requests
MAX_ARTICLES_PER_REQUEST = 1_000

METADATA_FIELDS = ("id", "title", "url", "publisher", "author", "published_at", "language")
# At least one character that is neither white space nor invisible (zero-width spaces and joiners, direction
# marks, the soft hyphen, fillers, variation selectors). Spelled out because \S differs between regex dialects
# (Python counts \x1c-\x1f as space, ECMAScript does not; ECMAScript counts U+FEFF, Python does not).
NOT_BLANK = (
    r"[^\t\n\v\f\r \x1c-\x1f\x85\xa0\xad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180e"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_VISIBLE = re.compile(NOT_BLANK)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: white space and invisible characters only (NOT_BLANK)."""
    return _VISIBLE.search(text) is None


# ISO 8601 calendar dates (year 0001-9999, real month lengths, 29 February only in leap years), optionally
# with a time and an offset: exactly what the server can parse, so the schema promises no more than it takes.
_DAY = (
    r"(?!0000)(\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
    r"|(\d\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)"
)
ISO_DATE = "^" + _DAY + r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"

ArticleId = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")]
ShortText = Annotated[str, Meta(max_length=2_000)]
ArticleText = Annotated[str, Meta(min_length=1, max_length=MAX_ARTICLE_CHARS, pattern=NOT_BLANK)]
PublishedAt = Annotated[str, Meta(max_length=64, pattern=ISO_DATE, description="ISO 8601 date or date-time.")]
Claim = Annotated[
    str, Meta(min_length=1, max_length=MAX_CLAIM_CHARS, pattern=NOT_BLANK, description="The claim to check.")
]
TopK = Annotated[int, Meta(ge=1, le=MAX_TOP_K, description="How many evidence statements to return.")]
MinConfidence = Annotated[
    float,
    Meta(
        ge=0.0,
        le=1.0,
        description="The calibrated probability a verdict must reach to be decided; below it the verdict is "
        "not_enough_evidence. Default: the server's level (FACTDESK_MIN_CONFIDENCE, else the calibration's).",
    ),
]
AsOf = Annotated[
    str,
    Meta(
        max_length=64,
        pattern=ISO_DATE,
        description="Only evidence from articles published on or before this ISO 8601 date or date-time (a date "
        "includes its whole day; no offset: UTC).",
    ),
]
Undated = Annotated[
    Literal["include", "exclude"],
    Meta(description="With `as_of` or alone: whether articles without a publication date count as evidence."),
]
MinCheckworthiness = Annotated[
    float,
    Meta(
        ge=0.0,
        le=1.0,
        description="Statements whose check-worthiness (the probability an annotator would call them check-worthy "
        "factual claims) is at least this are checked; the rest are listed. Default: the model's level.",
    ),
]


ClaimLanguage = Annotated[
    str,
    Meta(
        pattern="^[Ee][Nn](-[A-Za-z0-9]{1,8})*$",
        max_length=35,
        description="`en` (or `en-GB`, ...) checks the text whatever it reads as. Default: its language is "
        "detected, and a text that does not read as English is refused with a 422 (the models read English).",
    ),
]


class TimeWindow:
    """`as_of` / `undated` of a request as the pipeline's TimeLimit."""

    as_of: str | None
    undated: str

    def time_limit(self) -> TimeLimit:
        return TimeLimit.parse(self.as_of, self.undated)


class ArticleIn(Struct, forbid_unknown_fields=True):
    text: ArticleText
    id: ArticleId | None = None
    title: ShortText | None = None
    url: ShortText | None = None
    publisher: ShortText | None = None
    author: ShortText | None = None
    published_at: PublishedAt | None = None
    language: Annotated[str, Meta(max_length=16)] | None = None

    def to_article(self) -> Article:
        return Article(**msgspec.structs.asdict(self))


class ArticleUpload(Struct, forbid_unknown_fields=True):
    """One article (`text` and optional metadata), a page to fetch (`url` without `text`), or several articles
    as `{"articles": [...]}`."""

    # in the OpenAPI document: `text` (and no `articles`), an http(s) `url` without `text`, or `articles` alone
    __schema_extra__: ClassVar[dict[str, Any]] = {
        "any_of": [
            Schema(
                required=["text"],
                properties={"text": Schema(type=OpenAPIType.STRING), "articles": Schema(type=OpenAPIType.NULL)},
            ),
            Schema(
                required=["url"],
                properties={
                    "url": Schema(type=OpenAPIType.STRING, pattern="^[Hh][Tt][Tt][Pp][Ss]?://"),
                    "text": Schema(type=OpenAPIType.NULL),
                    "articles": Schema(type=OpenAPIType.NULL),
                },
            ),
            Schema(
                required=["articles"],
                properties={"articles": Schema(type=OpenAPIType.ARRAY)}
                | {name: Schema(type=OpenAPIType.NULL) for name in ("text", *METADATA_FIELDS)},
            ),
        ]
    }

    articles: Annotated[list[ArticleIn], Meta(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)] | None = None
    text: ArticleText | None = None
    id: ArticleId | None = None
    title: ShortText | None = None
    url: ShortText | None = None
    publisher: ShortText | None = None
    author: ShortText | None = None
    published_at: PublishedAt | None = None
    language: Annotated[str, Meta(max_length=16)] | None = None

    def fetches(self) -> bool:
        """Whether the article is to be fetched from its `url` (one article, no text)."""
        return self.articles is None and self.text is None and self.url is not None

    def to_articles(self, fetch: Callable[[str, dict[str, Any]], Article] | None = None) -> list[Article]:
        """Raises ValueError when it is neither one article nor a list of them.

        A `url` without `text` is handed to `fetch` with the other fields given (which win over the page's).
        """
        fields = msgspec.structs.asdict(self)
        articles = fields.pop("articles")
        if articles is not None:
            if any(v is not None for v in fields.values()):
                raise ValueError('send either one article or {"articles": [...]}, not both')
            return [a.to_article() for a in articles]
        if fields["text"] is None:
            if fields["url"] is None or fetch is None:
                raise ValueError('an article needs `text`, or a `url` to fetch it from (or send {"articles": [...]})')
            return [fetch(fields.pop("url"), fields)]
        return [Article(**fields)]


class IngestedArticle(Struct):
    id: str
    status: str
    statements: int


class IngestResponse(Struct):
    articles: list[IngestedArticle]


class StatementOut(Struct):
    id: int
    position: int
    start: int
    end: int
    text: str
    context: str | None
    speaker: str | None
    checkworthiness: float


class ArticleOut(Struct):
    id: str
    text: str
    title: str | None
    url: str | None
    publisher: str | None
    author: str | None
    published_at: str | None
    language: str | None
    ingested_at: str
    statements: list[StatementOut]


class ArticleRef(Struct):
    id: str
    url: str | None
    title: str | None
    publisher: str | None
    published_at: str | None


class SpanOut(Struct):
    start: int
    end: int
    text: str


class CueOut(Struct):
    kind: str
    detail: str
    claim: SpanOut | None
    statement: SpanOut | None


class StanceScores(Struct):
    supports: float
    conflicts: float
    neutral: float


class EvidenceOut(Struct):
    statement_id: int
    text: str
    stance: str
    stance_scores: StanceScores
    similarity: float
    cues: list[CueOut]
    speaker: str | None
    start: int
    end: int
    position: int
    checkworthiness: float
    article: ArticleRef
    published_at: str | None  # the article's
    # every article that carries this statement (wire copies count once): its own first
    sources: list[ArticleRef]
    # the claim as the stance model read it against this statement, when said in the statement's words ("has
    # eased" against "a stunning escalation" is read as "has escalated", which the statement entails): else null
    reading: str | None


class CheckRequest(Struct, TimeWindow, forbid_unknown_fields=True):
    claim: Claim
    top_k: TopK = 5
    min_confidence: MinConfidence | None = None
    as_of: AsOf | None = None
    undated: Undated = "include"
    language: ClaimLanguage | None = None


class DocumentRequest(Struct, TimeWindow, forbid_unknown_fields=True):
    text: ArticleText
    top_k: TopK = 5
    min_checkworthiness: MinCheckworthiness | None = None
    min_confidence: MinConfidence | None = None
    as_of: AsOf | None = None
    undated: Undated = "include"
    language: ClaimLanguage | None = None


class ClaimIn(Struct, forbid_unknown_fields=True):
    claim: Claim
    id: Annotated[str, Meta(max_length=200)] | None = None


class BatchRequest(Struct, TimeWindow, forbid_unknown_fields=True):
    claims: Annotated[list[ClaimIn], Meta(min_length=1, max_length=MAX_BATCH_CLAIMS)]
    top_k: TopK = 5
    min_confidence: MinConfidence | None = None
    as_of: AsOf | None = None
    undated: Undated = "include"
    language: ClaimLanguage | None = None


class VerdictProbabilities(Struct):
    """How often each verdict was right for evidence like this claim's (the calibration's dev sets)."""

    supported: float
    refuted: float
    conflicting: float
    not_enough_evidence: float


class FactCheckOut(Struct):
    """An earlier fact-check (ClaimReview) of a claim like the one checked."""

    id: str
    claim_reviewed: str
    rating: str
    rating_value: float | None
    best_rating: float | None
    worst_rating: float | None
    reviewer: str | None
    url: str
    date_published: str | None
    claimant: str | None
    similarity: float  # of its claim to the checked claim


class CheckResponse(Struct, omit_defaults=True):
    claim: str
    verdict: Annotated[
        str,
        Meta(
            description="supported, refuted or conflicting when its probability reaches min_confidence; else "
            "not_enough_evidence, which `leaning` qualifies"
        ),
    ]
    confidence: Annotated[
        float,
        Meta(
            description="A decided verdict: how often such a verdict is right. not_enough_evidence: how often "
            "deciding would have been wrong (1 - the probability of `leaning`), not a confidence in the claim"
        ),
    ]
    supporting_publishers: int
    conflicting_publishers: int
    evidence: list[EvidenceOut]
    fact_checks: list[FactCheckOut]
    # of each verdict, always: calibrated (how often each is right) when a calibration fits the stance model and
    # something in the archive is on topic; else a raw reading of the evidence's support and conflict strengths
    probabilities: Annotated[
        VerdictProbabilities,
        Meta(
            description="Of each verdict, always present and the same whatever top_k: calibrated on the dev sets "
            "when the stance model has a fit and something in the archive is on topic, else a raw reading"
        ),
    ]
    # a not_enough_evidence verdict: the decided verdict the evidence leans to (its probability is in
    # `probabilities`), as in "not enough evidence, leans supported 0.55"; absent for a decided verdict
    leaning: Annotated[
        str | None,
        Meta(
            description='Only with not_enough_evidence: the decided verdict the evidence leans to, read as "not '
            'enough evidence, leans supported, 0.55" with its probability from `probabilities`'
        ),
    ] = None
    id: str | None = None


class DocumentStatementOut(Struct):
    position: int
    start: int
    end: int
    text: str
    speaker: str | None
    checkworthiness: float
    result: CheckResponse | None  # None: below min_checkworthiness, not checked


class DocumentResponse(Struct):
    statements: list[DocumentStatementOut]
    min_checkworthiness: float  # the level used: the request's, else the model's default
    checked: int
    # statements worth checking that were not: a draft has at most 300 checked, the most check-worthy first
    left_unchecked: int


class StoredFactCheck(Struct):
    id: str
    status: str  # created | updated | unchanged
    claim_reviewed: str


class FactCheckIngestResponse(Struct):
    fact_checks: list[StoredFactCheck]


class SearchHit(Struct):
    statement_id: int
    text: str
    # what the hits are ordered by: the similarity plus a bonus for how well it matches the query's rarer words
    score: float
    similarity: float
    speaker: str | None
    start: int
    end: int
    position: int
    checkworthiness: float
    article: ArticleRef


class SearchResponse(Struct):
    query: str
    hits: list[SearchHit]


class WhoAmI(Struct):
    """What the presented key may do, so that a client shows only what it can use."""

    keys: bool  # False: the server requires no keys and every scope is open
    scopes: list[str]
    key_id: str | None = None
    name: str | None = None


class Health(Struct):
    status: str
    articles: int
    statements: int
    vectors: int
    publishers: int
    fact_checks: int
    vector_index: str
    embedding_model: str
    encoder: str
    stance_mode: str
    stance_model: str
    calibration: str | None = None  # the verdict calibration in use; None without one (`--stance cues`)
    min_confidence: float = 0.0  # the level a verdict needs to be decided, unless a request sets its own


def article_ref(a: StoredArticle) -> ArticleRef:
    return ArticleRef(a.id, a.url, a.title, a.publisher, a.published_at)


def statement_out(s: StoredStatement) -> StatementOut:
    return StatementOut(s.id, s.position, s.start, s.end, s.text, s.context, s.speaker, s.checkworthiness)


def article_out(a: StoredArticle, statements: list[StoredStatement]) -> ArticleOut:
    return ArticleOut(
        a.id,
        a.text,
        a.title,
        a.url,
        a.publisher,
        a.author,
        a.published_at,
        a.language,
        a.ingested_at,
        [statement_out(s) for s in statements],
    )


def _span(s: Span | None) -> SpanOut | None:
    return SpanOut(s.start, s.end, s.text) if s else None


def cue_out(c: Cue) -> CueOut:
    return CueOut(c.kind, c.detail, _span(c.claim), _span(c.statement))


def evidence_out(e: Evidence) -> EvidenceOut:
    s = e.statement
    return EvidenceOut(
        statement_id=s.id,
        text=s.text,
        stance=e.stance,
        stance_scores=StanceScores(**e.stance_scores),
        similarity=e.similarity,
        cues=[cue_out(c) for c in e.cues],
        speaker=s.speaker,
        start=s.start,
        end=s.end,
        position=s.position,
        checkworthiness=s.checkworthiness,
        article=article_ref(e.article),
        published_at=e.article.published_at,
        sources=[article_ref(a) for a in e.sources],
        reading=e.reading,
    )


def check_response(result: CheckResult, claim_id: str | None = None) -> CheckResponse:
    return CheckResponse(
        claim=result.claim,
        verdict=result.verdict,
        confidence=result.confidence,
        supporting_publishers=result.supporting_publishers,
        conflicting_publishers=result.conflicting_publishers,
        evidence=[evidence_out(e) for e in result.evidence],
        fact_checks=[fact_check_out(m) for m in result.fact_checks],
        probabilities=VerdictProbabilities(**result.probabilities),
        leaning=result.leaning,
        id=claim_id,
    )


def search_hit(e: Evidence) -> SearchHit:
    s = e.statement
    return SearchHit(
        s.id,
        s.text,
        e.relevance,
        e.similarity,
        s.speaker,
        s.start,
        s.end,
        s.position,
        s.checkworthiness,
        article_ref(e.article),
    )


def document_response(statements: list[DocumentStatement], min_checkworthiness: float) -> DocumentResponse:
    out = [
        DocumentStatementOut(
            d.statement.position,
            d.statement.start,
            d.statement.end,
            d.statement.text,
            d.statement.speaker,
            d.statement.checkworthiness,
            check_response(d.result) if d.result else None,
        )
        for d in statements
    ]
    checked = sum(d.result is not None for d in statements)
    worth = sum(d.statement.checkworthiness >= min_checkworthiness for d in statements)
    return DocumentResponse(out, min_checkworthiness, checked, worth - checked)


def fact_check_out(m: FactCheckMatch) -> FactCheckOut:
    c: FactCheck = m.fact_check
    return FactCheckOut(
        c.id,
        c.claim_reviewed,
        c.rating,
        c.rating_value,
        c.best_rating,
        c.worst_rating,
        c.reviewer,
        c.url,
        c.date_published,
        c.claimant,
        m.similarity,
    )


def parse_public_url(value: str | None) -> str | None:
    """The server's public address (FACTDESK_PUBLIC_URL): http(s), a host, no query or fragment; ValueError else."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"public URL {value!r}: expected an http(s) address such as https://desk.example.org")
    return value.strip().rstrip("/")


def claim_review_out(response: CheckResponse, public_url: str | None, organization: str) -> dict[str, Any]:
    """A check as a ClaimReview draft: reviewed on the desk page for the claim at the server's public address
    (no `url` without one), the evidence articles that have a url as the claim's appearances."""
    appearances: list[dict[str, Any]] = []
    for e in response.evidence:
        for a in e.sources:
            if a.url and all(x["url"] != a.url for x in appearances):
                work: dict[str, Any] = {"url": a.url, "headline": a.title, "datePublished": a.published_at}
                if a.publisher:
                    work["publisher"] = {"@type": "Organization", "name": a.publisher}
                appearances.append(work)
    return claim_review(
        response.claim,
        response.verdict,
        response.confidence,
        appearances,
        f"{public_url}/?{urlencode({'claim': response.claim})}" if public_url else None,
        organization,
    )


WebhookUrl = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2_000,
        description="http(s) address the server POSTs matches to; its host must resolve to an address the server's "
        "SSRF guard allows (public ones, and networks given with --fetch-allow).",
    ),
]
WatchId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class WatchRequest(Struct, forbid_unknown_fields=True):
    claim: Claim
    webhook_url: WebhookUrl
    min_confidence: (
        Annotated[
            float,
            Meta(
                ge=0.0,
                le=1.0,
                description="The supports or conflicts score a new statement needs to be delivered. Default: the "
                "server's level (FACTDESK_MIN_CONFIDENCE, else the calibration's).",
            ),
        ]
        | None
    ) = None


class WatchOut(Struct):
    id: str
    claim: str
    webhook_url: str
    min_confidence: float | None
    created_at: str


class WatchCreated(WatchOut):
    secret: Annotated[str, Meta(description="The HMAC-SHA256 key of this watch's signatures; shown only here.")]


class WatchList(Struct):
    watches: list[WatchOut]


class DeliveryOut(Struct):
    id: int
    status: Literal["queued", "delivered", "failed"]
    attempts: int
    statement_id: int
    article_id: str
    stance: str
    created_at: str
    delivered_at: str | None
    next_attempt_at: str | None  # while queued
    last_error: str | None


class DeliveryList(Struct):
    watch_id: str
    deliveries: list[DeliveryOut]


def watch_out(watch: StoredWatch) -> WatchOut:
    return WatchOut(watch.id, watch.claim, watch.webhook_url, watch.min_confidence, watch.created_at)


def watch_created(watch: StoredWatch) -> WatchCreated:
    return WatchCreated(
        watch.id, watch.claim, watch.webhook_url, watch.min_confidence, watch.created_at, secret=watch.secret
    )


def delivery_out(d: StoredDelivery) -> DeliveryOut:
    due = None
    if d.status == "queued":
        due = datetime.fromtimestamp(d.next_attempt_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return DeliveryOut(
        d.id,
        d.status,  # type: ignore[arg-type]
        d.attempts,
        d.statement_id,
        d.article_id,
        d.stance,
        d.created_at,
        d.delivered_at,
        due,
        d.last_error,
    )
