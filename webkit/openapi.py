"""What the OpenAPI documents of both APIs share: the liveness body, and errors (each route names
the statuses it can answer with, each as an RFC 9457 problem in `application/problem+json`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

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


def declare_problems(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document name `application/problem+json` for every 4xx and 5xx
    answer (FastAPI puts a response model under `application/json`)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            response["content"] = {
                                PROBLEM_MEDIA_TYPE: content["application/json"]}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
