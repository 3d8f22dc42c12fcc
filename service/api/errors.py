"""Every error as RFC 9457 problem details: one table maps each domain error to its status, litestar's own HTTP
errors keep theirs, and anything else is a logged 500 without internals."""

from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

from factdesk.index.errors import Busy, Conflict, FactdeskError, InvalidInput, NotFound, Refused, Unreadable
from factdesk.service.logs import logger

STATUS: dict[type[FactdeskError], int] = {
    Unreadable: 400,
    Refused: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Busy: 503,
    FactdeskError: 422,  # any other the caller can act on
}


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status, title=HTTPStatus(status).phrase, detail=detail, headers=headers, extra=extra or None
    )


def status_of(error: FactdeskError) -> int:
    """The status of the nearest type in STATUS among the error's classes, in their method resolution order."""
    return next(STATUS[kind] for kind in type(error).__mro__ if kind in STATUS)


def _domain_problem(request: Request[Any, Any, Any], exc: FactdeskError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None
    return problem(status_of(exc), str(exc), headers).to_response(request)  # type: ignore[no-any-return]


def _as_problem(exc: HTTPException) -> ProblemDetailsException:
    """Every HTTP error (validation, 404, 405, 413, ...) as RFC 9457 problem details."""
    extra = {"errors": exc.extra} if exc.extra else {}
    return problem(exc.status_code, exc.detail, exc.headers, **extra)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Unexpected failures: logged with the traceback, answered as problem details without internals."""
    logger.exception(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        extra={"request_id": request.scope.get("state", {}).get("request_id")},
    )
    return problem(500, "internal error").to_response(request)  # type: ignore[no-any-return]


def problems_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map={HTTPException: _as_problem}))


HANDLERS = {FactdeskError: _domain_problem, Exception: _internal_error}
