"""RFC 9457 problem details: every error leaves the API as `application/problem+json`."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from commands import errors
from writeapi.auth import NotAllowed, NotAuthenticated

log = logging.getLogger("roster.writeapi")

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.InvalidValue: 422,
    errors.IdempotencyKeyReused: 422,
    errors.AgentNotFound: 404,
    errors.VersionMismatch: 412,
    errors.TooMuchContention: 409,
    errors.StoreUnavailable: 503,
}
"""HTTP status of each error of the service; any other domain error is a conflict (409)."""


class Problem(HTTPException):
    """An error raised by the API layer itself, with its status and machine-readable code."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(status, detail)
        self.status, self.code, self.extra = status, code, extra


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem+json response."""
    body = {"type": f"https://roster.invalid/problems/{code}", "title": HTTPStatus(status).phrase,
            "status": status, "code": code, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/problem+json")


def _status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 409


async def _domain(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.VersionMismatch):
        extra["current_version"] = exc.current
    if isinstance(exc, errors.InvalidValue):
        extra["errors"] = [{"field": exc.field, "message": exc.message}]
    return problem(_status_of(exc), exc.code, exc.message, **extra)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
        for err in exc.errors()
    ]
    return problem(422, "invalid_request", "the request has invalid fields", errors=fields)


async def _http(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, HTTPStatus(exc.status_code).name.lower(), str(exc.detail))


async def _problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem(exc.status, exc.code, str(exc.detail), **exc.extra)


async def _unauthenticated(_: Request, exc: Exception) -> Response:
    return problem(401, "not_authenticated", str(exc))


async def _forbidden(_: Request, exc: Exception) -> Response:
    return problem(403, "forbidden", str(exc))


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal_error", "the server failed; the request may be retried")


def install(app: FastAPI) -> None:
    """Map every error the API can meet to a problem response."""
    app.add_exception_handler(errors.DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(NotAuthenticated, _unauthenticated)
    app.add_exception_handler(NotAllowed, _forbidden)
    app.add_exception_handler(Exception, _unexpected)
