"""OpenAPI details litestar does not derive by itself: strict request bodies and problem-details errors."""

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.typing import FieldDefinition
from msgspec import Struct

from factdesk.service.schemas.articles import METADATA_FIELDS, ArticleUpload

PROBLEM_JSON = "application/problem+json"
# an upload is `text` (and no `articles`), an http(s) `url` without `text`, or `articles` alone
SCHEMA_EXTRA: dict[type, dict[str, Any]] = {
    ArticleUpload: {
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
}


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Struct schemas that say what msgspec enforces: `forbid_unknown_fields` → `additionalProperties: false`,
    plus the JSON Schema SCHEMA_EXTRA adds to a Struct (e.g. which fields are required together)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema: Schema = super().to_openapi_schema(field_definition, schema_creator)  # the component itself
        if msgspec.inspect.type_info(field_definition.type_).forbid_unknown_fields:  # type: ignore[union-attr]
            schema.additional_properties = False
        for key, value in SCHEMA_EXTRA.get(field_definition.type_, {}).items():
            setattr(schema, key, value)
        _keep_zero_minimums(field_definition.type_, schema)
        return schema


def _keep_zero_minimums(struct: Any, schema: Schema) -> None:
    """litestar drops a lower bound of 0 (`Meta(ge=0.0)`, falsy) from a field's schema: put it back."""
    for f in msgspec.inspect.type_info(struct).fields:  # type: ignore[union-attr]
        kind = f.type
        if isinstance(kind, msgspec.inspect.UnionType):
            kind = next((t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)), kind)
        if isinstance(kind, msgspec.inspect.Metadata):
            kind = kind.type
        prop = (schema.properties or {}).get(f.encode_name)
        if getattr(kind, "ge", None) == 0 and isinstance(prop, Schema) and prop.minimum is None:
            prop.minimum = 0.0


class Problem(Struct):
    """RFC 9457 problem details."""

    status: int
    title: str
    detail: str
    type: str | None = None
    errors: list[dict[str, Any]] | None = None


WHY = {
    400: "Malformed request (bad JSON, unknown fields, wrong types, blank or out-of-range values)",
    401: "Missing or invalid API key (when the server requires keys)",
    403: "The API key lacks the scope this operation needs",
    404: "No such article or watch",
    413: "Request body over the size limit",
    422: "Well-formed but unusable (e.g. an article with neither text nor articles, a page that was not fetched)",
    415: "The body is not of a type this operation reads (JSON operations take application/json)",
    429: "Rate limit reached; retry after the Retry-After seconds",
    503: "Every page-fetch slot (the server's or this client's) is in use; retry after the Retry-After seconds",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """Problem-details responses for `codes` (400, 401, 403 and 429 go on every guarded operation)."""
    return {
        code: ResponseSpec(Problem, description=WHY[code], media_type=PROBLEM_JSON, generate_examples=False)
        for code in codes
    }


LD_JSON = "application/ld+json"
_TEXT = Schema(type=OpenAPIType.STRING, min_length=1)
_NAMED = Schema(type=OpenAPIType.OBJECT, required=["name"], properties={"name": _TEXT})
CLAIM_REVIEW = Schema(
    type=OpenAPIType.OBJECT,
    required=["@type", "claimReviewed", "reviewRating"],
    description="schema.org ClaimReview, as Google requires it for fact-check markup once it has its `url`: the "
    "claim's desk page at the server's public address (FACTDESK_PUBLIC_URL), absent when none is set",
    properties={
        "@type": Schema(type=OpenAPIType.STRING, enum=["ClaimReview"]),
        "claimReviewed": _TEXT,
        "url": Schema(type=OpenAPIType.STRING, format="uri", pattern="^https?://[^/?#]+"),
        "datePublished": Schema(type=OpenAPIType.STRING),
        "author": _NAMED,
        "reviewRating": Schema(
            type=OpenAPIType.OBJECT,
            required=["alternateName"],
            properties={
                "alternateName": _TEXT,
                "ratingValue": Schema(type=OpenAPIType.NUMBER),
                "bestRating": Schema(type=OpenAPIType.NUMBER),
                "worstRating": Schema(type=OpenAPIType.NUMBER),
            },
        ),
        "itemReviewed": Schema(
            type=OpenAPIType.OBJECT, properties={"@type": Schema(type=OpenAPIType.STRING, enum=["Claim"])}
        ),
    },
)
CLAIM_REVIEWS = Schema(type=OpenAPIType.ARRAY, items=CLAIM_REVIEW, min_items=1)


@dataclass
class FactChecksOperation(Operation):
    """`POST /v1/fact-checks` reads its body itself (JSON-LD or an HTML page): say so in the document."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="ClaimReview JSON-LD (one, a list, or a @graph), or an HTML page embedding it",
            content={
                LD_JSON: OpenAPIMediaType(
                    schema=Schema(
                        one_of=[CLAIM_REVIEW, Schema(type=OpenAPIType.ARRAY, items=CLAIM_REVIEW, min_items=1)]
                    )
                ),
                "text/html": OpenAPIMediaType(schema=_TEXT),
            },
        )


@dataclass
class CheckOperation(Operation):
    """`POST /v1/check` also answers as a ClaimReview draft when asked for `application/ld+json`."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content[LD_JSON] = OpenAPIMediaType(schema=CLAIM_REVIEW)
