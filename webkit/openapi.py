"""What the OpenAPI documents of both APIs share: the liveness body, and errors (each route names
the statuses it can answer with, each as an RFC 9457 problem in `application/problem+json`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from webkit.rate_limits import UNLIMITED

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Live(BaseModel):
    """The process is up."""

    model_config = ConfigDict(extra="forbid")

    status: str


class FieldError(BaseModel):
    """One field of a request that fails, and why."""

    field: str
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: what went wrong, for people (`detail`) and machines (`code`)."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str
    title: str
    status: int
    code: str = Field(description="Stable and machine-readable, e.g. `agent_not_found`.")
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="With 422: each field that fails.")


Responses = dict[int | str, dict[str, Any]]


def problems(*statuses: int) -> Responses:
    """The `responses` of a route that can answer with each of `statuses` as a problem."""
    return {status: {"model": ProblemDetails, "description": HTTPStatus(status).phrase}
            for status in sorted(set(statuses))}


RATE_LIMITED: dict[str, Any] = {
    "description": "Too Many Requests: over the rate limit; retry after `Retry-After` seconds",
    "headers": {name: {"schema": {"type": "integer"}, "description": text} for name, text in (
        ("Retry-After", "Seconds until a request is allowed again."),
        ("RateLimit-Limit", "Requests allowed in the window."),
        ("RateLimit-Remaining", "Requests left in the window."),
        ("RateLimit-Reset", "Seconds until the window has room again."))},
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
}
"""Every rate-limited operation's 429."""


def declare_problems(app: FastAPI, limited: bool = False) -> None:
    """Make `app`'s OpenAPI document name `application/problem+json` for every 4xx and 5xx
    answer (FastAPI puts a response model under `application/json`), and, when `limited`,
    a 429 on every operation the rate limits count."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            for path, operations in document.get("paths", {}).items():
                for operation in operations.values():
                    if limited and path not in UNLIMITED:
                        operation.setdefault("responses", {})["429"] = RATE_LIMITED
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            response["content"] = {
                                PROBLEM_MEDIA_TYPE: content["application/json"]}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
