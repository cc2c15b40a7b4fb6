"""Response bodies of the write API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel
from starlette.responses import Response

from commands.service import CommandResult
from webkit.openapi import problems

COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 412, 413, 422, 503)
"""What a command can be refused with: a bad header (400), no or a bad token (401), a role
that may not (403), no such agent (404), a broken rule (409), a stale `If-Match` (412), a body
too large (413), invalid fields (422), an event store that does not answer (503)."""


class Accepted(BaseModel):
    """A command was accepted: the agent, its new version, and the event's global position."""

    agent_id: UUID
    version: int
    position: int


class StoredEvent(BaseModel):
    """One event of an agent as stored, personal values masked."""

    type: str
    version: int
    occurred_at: datetime
    payload: dict[str, Any]


class AgentEvents(BaseModel):
    """An agent's events, oldest first."""

    agent_id: UUID
    events: list[StoredEvent]
    personal_data: str
    """Where an auditor reads the personal values in full (each call recorded)."""


class PersonalData(BaseModel):
    """An agent's personal fields in full, as disclosed (and recorded) at `version`."""

    agent_id: UUID
    version: int
    position: int
    reason: str
    fields: dict[str, str | None]


class HeadPosition(BaseModel):
    """How far the event store's log reaches."""

    head_position: int


class Ready(BaseModel):
    """The event store answers."""

    status: str
    event_store: HeadPosition


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response serialised with orjson (UUIDs, dates and dataclasses included)."""
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def accepted(result: CommandResult, status: int = 200) -> Response:
    """The answer to an accepted command, with the version as `ETag`."""
    headers = {"ETag": f'"{result.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/v1/agents/{result.agent_id}"
    body = {"agent_id": result.agent_id, "version": result.version, "position": result.position}
    return json_response(body, status, headers)
