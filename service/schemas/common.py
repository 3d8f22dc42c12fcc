"""Limits and constrained types shared by the request bodies, and the mapping of pipeline records to bodies."""

import re
from dataclasses import fields, is_dataclass
from typing import Annotated, Any, Literal

from msgspec import Meta

from factdesk.index.check import MAX_TOP_K
from factdesk.index.ingest.articles import ISO_DATE, NOT_BLANK
from factdesk.index.retrieve.limits import TimeLimit

MAX_CLAIM_CHARS = 2_000
MAX_BATCH_CLAIMS = 1_000  # more claims: the command line, or several requests
MAX_ARTICLES_PER_REQUEST = 1_000

_VISIBLE = re.compile(NOT_BLANK)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: white space and invisible characters only (NOT_BLANK)."""
    return _VISIBLE.search(text) is None


def attributes(record: Any) -> dict[str, Any]:
    """A dataclass record's fields by name (one level), to be merged with more before `msgspec.convert`."""
    assert is_dataclass(record)
    return {f.name: getattr(record, f.name) for f in fields(record)}


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
