"""RFC 9457 problem details: every error leaves an API as `application/problem+json`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from webkit.auth import NotAllowed, NotAuthenticated

log = logging.getLogger("roster.http")


class Problem(HTTPException):
    """An error raised by the API layer itself, with its status and machine-readable code."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(status, detail)
        self.status, self.code, self.extra = status, code, extra


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The members of a problem (RFC 9457), as a response or a batch's result carries them."""
    return {"type": f"https://roster.invalid/problems/{code}", "title": HTTPStatus(status).phrase,
            "status": status, "code": code, "detail": detail, **extra}


def invalid_fields(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic's errors as the problem's `errors`: each field and what is wrong with it."""
    return [{"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in errors]


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem+json response."""
    return problem_response(problem_body(status, code, detail, **extra))


def problem_response(body: Mapping[str, Any]) -> Response:
    """The problem+json response carrying `body` (made by `problem_body`)."""
    status: int = body["status"]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/problem+json")


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return problem(422, "invalid_request", "the request has invalid fields",
                   errors=invalid_fields(exc.errors()))


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
    """Map request, authentication and unexpected errors to problem responses."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(NotAuthenticated, _unauthenticated)
    app.add_exception_handler(NotAllowed, _forbidden)
    app.add_exception_handler(Exception, _unexpected)
