"""The read API's problems: each read error as problem+json, mapped in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from readapi.errors import ReadError
from webkit import problems as webkit_problems
from webkit.problems import problem


async def _read_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReadError)
    return problem(exc.status, exc.code, exc.message, **exc.extra)


def install(app: FastAPI) -> None:
    """Map every error the read API can meet to a problem response."""
    webkit_problems.install(app)
    app.add_exception_handler(ReadError, _read_error)
