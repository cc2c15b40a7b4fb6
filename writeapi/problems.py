"""The write API's problems: each error of the application service as problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from commands import errors
from webkit import problems as webkit_problems
from webkit.problems import problem_body, problem_response

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.InvalidValue: 422,
    errors.IdempotencyKeyReused: 422,
    errors.AgentNotFound: 404,
    errors.VersionMismatch: 412,
    errors.TooMuchContention: 409,
    errors.StoreUnavailable: 503,
}
"""HTTP status of each error of the service; any other domain error is a conflict (409)."""


def _status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 409


def described(error: errors.DomainError) -> dict[str, Any]:
    """The problem's members for an error of the service."""
    extra: dict[str, Any] = {}
    if isinstance(error, errors.VersionMismatch):
        extra["current_version"] = error.current
    if isinstance(error, errors.InvalidValue):
        extra["errors"] = [{"field": error.field, "message": error.message}]
    return problem_body(_status_of(error), error.code, error.message, **extra)


async def _domain(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    return problem_response(described(exc))


def install(app: FastAPI) -> None:
    """Map every error the write API can meet to a problem response."""
    webkit_problems.install(app)
    app.add_exception_handler(errors.DomainError, _domain)
