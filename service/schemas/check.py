"""Checking claims and drafts: the requests, and a check's result with its evidence and earlier fact-checks."""

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from msgspec import Meta, Struct

from factdesk.index.check import CheckResult
from factdesk.index.drafts import DocumentStatement
from factdesk.index.factchecks import FactCheckMatch, claim_review
from factdesk.index.ingest.articles import ArticleText
from factdesk.index.retrieve.evidence import Evidence
from factdesk.service.schemas.articles import ArticleRef, Placed
from factdesk.service.schemas.common import (
    MAX_BATCH_CLAIMS,
    AsOf,
    Claim,
    ClaimLanguage,
    MinConfidence,
    TimeWindow,
    TopK,
    Undated,
    attributes,
)

MinCheckworthiness = Annotated[
    float,
    Meta(
        ge=0.0,
        le=1.0,
        description="Statements whose check-worthiness (the probability an annotator would call them check-worthy "
        "factual claims) is at least this are checked; the rest are listed. Default: the model's level.",
    ),
]


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


class EvidenceOut(Placed):
    statement_id: int
    stance: str
    stance_scores: StanceScores
    similarity: float  # cosine to the claim: of the statement, or of its closest clause where that is higher
    cues: list[CueOut]
    article: ArticleRef
    published_at: str | None  # the article's
    # every article that carries this statement (wire copies count once): its own first
    sources: list[ArticleRef]
    # the claim as the stance model read it against this statement, when said in the statement's words ("has
    # eased" against "a stunning escalation" is read as "has escalated", which the statement entails): else null
    reading: str | None


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
            description="supported, refuted or conflicting when its probability reaches min_confidence and (as "
            "the shipped calibrations require) a statement of the evidence pool takes its side; else "
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


class DocumentStatementOut(Placed):
    result: CheckResponse | None  # None: below min_checkworthiness, not checked


class DocumentResponse(Struct):
    statements: list[DocumentStatementOut]
    min_checkworthiness: float  # the level used: the request's, else the model's default
    checked: int
    # statements worth checking that were not: a draft has at most 300 checked, the most check-worthy first
    left_unchecked: int


def evidence_out(e: Evidence) -> EvidenceOut:
    found = attributes(e.statement) | attributes(e) | {"statement_id": e.statement.id, "text": e.text}
    found |= {"published_at": e.article.published_at, "sources": e.sources}
    return msgspec.convert(found, EvidenceOut, from_attributes=True)


def fact_check_out(m: FactCheckMatch) -> FactCheckOut:
    return msgspec.convert(attributes(m.fact_check) | {"similarity": m.similarity}, FactCheckOut)


def check_response(result: CheckResult, claim_id: str | None = None) -> CheckResponse:
    found = attributes(result) | {"id": claim_id, "evidence": [evidence_out(e) for e in result.evidence]}
    found["fact_checks"] = [fact_check_out(m) for m in result.fact_checks]
    return msgspec.convert(found, CheckResponse, from_attributes=True)


def document_response(statements: list[DocumentStatement], min_checkworthiness: float) -> DocumentResponse:
    out = [
        msgspec.convert(
            attributes(d.statement) | {"result": check_response(d.result) if d.result else None},
            DocumentStatementOut,
            from_attributes=True,
        )
        for d in statements
    ]
    checked = sum(d.result is not None for d in statements)
    worth = sum(d.statement.checkworthiness >= min_checkworthiness for d in statements)
    return DocumentResponse(out, min_checkworthiness, checked, worth - checked)


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
