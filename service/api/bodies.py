"""JSON request bodies read strictly, before litestar binds them: the media type, the nesting depth and the
types are checked first, so a malformed body is a 4xx problem and never reaches a parser's recursion limit.

Litestar converts a decoded body into the handler's type leniently (`"5"` becomes 5, as query strings need);
a JSON body says what it means, so here a number must be a number (a whole 13.0 is an integer, as JSON Schema
has it; "13" is not).
"""

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import Empty

from factdesk.index.factchecks import MAX_DEPTH, json_depth

JSON_TYPES = ("application/json", "application/ld+json")


def is_json_type(media_type: str) -> bool:
    """application/json, application/ld+json and any other application/...+json."""
    kind = media_type.split(";")[0].strip().lower()
    return kind in JSON_TYPES or (kind.startswith("application/") and kind.endswith("+json"))


def check_depth(body: bytes) -> None:
    if json_depth(body) > MAX_DEPTH:
        raise ClientException(f"the JSON body nests more than {MAX_DEPTH} levels deep")


def integral(value: Any) -> Any:
    """The value with each float that is a whole number as an int: JSON Schema's integers include 13.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [integral(v) for v in value]
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    return value


class StrictRequest(Request):  # type: ignore[type-arg]
    async def json(self) -> Any:
        if self._json is not Empty:
            return self._json
        body = await self.body()
        if body and not is_json_type(self.headers.get("content-type", "")):
            sent = self.content_type[0] or "untyped"
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"the body must be JSON (Content-Type: application/json), not {sent}",
            )
        check_depth(body)
        value = await super().json()
        field = self.route_handler.parsed_data_field
        if field is not None and value is not None:
            try:
                msgspec.convert(integral(value), field.annotation, strict=True)
            except msgspec.ValidationError as e:
                raise ClientException(f"Validation failed for POST {self.url.path}: {e}") from None
        return value
