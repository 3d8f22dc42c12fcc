"""Earlier fact-checks stored from ClaimReview JSON-LD."""

from msgspec import Struct


class StoredFactCheck(Struct):
    id: str
    status: str  # created | updated | unchanged
    claim_reviewed: str


class FactCheckIngestResponse(Struct):
    fact_checks: list[StoredFactCheck]
