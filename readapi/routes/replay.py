"""Audit replays: one agent's state at any past moment, and what changed between two moments,
rebuilt from the event store (the one place the read API reads it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from projections import replay
from readapi.deps import Auditor, Store
from readapi.errors import AgentNotFound, BadMoment, NotYetOnboarded, VersionNotFound
from readapi.responses import answer
from readapi.schemas import AgentAsOf, AgentChanges
from webkit.openapi import problems

router = APIRouter(prefix="/v1/agents", tags=["audit replays"])

Moment = Annotated[datetime | None, Query(description="RFC 3339, with a time zone offset.")]


def _past(at: datetime, name: str) -> datetime:
    """`at` when it is a past moment with a time zone; `BadMoment` otherwise."""
    if at.tzinfo is None:
        raise BadMoment(f"give `{name}` with a time zone offset")
    if at > datetime.now(UTC):
        raise BadMoment(f"`{name}` is in the future; the log holds only the past")
    return at


def _state(found: replay.Replayed) -> dict[str, Any]:
    """The folded profile as `AgentState`: its `reports` named `direct_reports`."""
    own = {name: value for name, value in found.state.items() if name != "reports"}
    return {**own, "direct_reports": found.state["reports"]}


@router.get("/{agent_id}/as-of", response_model=AgentAsOf,
            responses=problems(401, 403, 404, 422, 503))
async def get_as_of(agent_id: UUID, store: Store, _: Auditor, at: Moment = None,
                    version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The agent's state at `at` (after the last event at or before it) or after its event
    `version` — one of the two — folded from the event store, personal values masked."""
    if (at is None) == (version is None):
        raise BadMoment("give exactly one of `at` and `version`")
    envelopes = await store.history(agent_id)
    if not envelopes:
        raise AgentNotFound(agent_id)
    if at is not None:
        found = replay.at_time(envelopes, _past(at, "at"))
        if found is None:
            raise NotYetOnboarded(f"agent {agent_id} was onboarded at "
                                  f"{envelopes[0].occurred_at.isoformat()}, after {at}",
                                  onboarded_at=envelopes[0].occurred_at.isoformat())
    else:
        assert version is not None
        found = replay.at_version(envelopes, version)
        if found is None:
            raise VersionNotFound(f"agent {agent_id} has versions 1 to {len(envelopes)}",
                                  latest_version=len(envelopes))
    last = found.last
    return answer({"agent_id": agent_id, "at": at, "version": last.agent_version,
                   "position": last.position, "event": replay.described(last),
                   "state": _state(found)}, last.position)


@router.get("/{agent_id}/changes", response_model=AgentChanges,
            responses=problems(401, 403, 404, 422, 503))
async def get_changes(
    agent_id: UUID, store: Store, _: Auditor,
    since: Annotated[datetime, Query(alias="from", description="RFC 3339, exclusive.")],
    until: Annotated[datetime | None, Query(alias="to", description="RFC 3339, inclusive; "
                                                                    "now when left out.")]
    = None,
) -> Response:
    """Each field whose value differs between the agent's states at `from` and at `to`, with
    before and after, and the events in between (type, actor, time, reason)."""
    since = _past(since, "from")
    until = datetime.now(UTC) if until is None else _past(until, "to")
    if since >= until:
        raise BadMoment("`from` must be before `to`")
    envelopes = await store.history(agent_id)
    if not envelopes:
        raise AgentNotFound(agent_id)
    found = replay.between(envelopes, since, until)
    return answer({
        "agent_id": agent_id, "from": since, "to": until,
        "version_before": found.before.last.agent_version if found.before else None,
        "version_after": found.after.last.agent_version if found.after else None,
        "changes": found.fields,
        "events": [replay.described(env) for env in found.between],
    }, envelopes[-1].position)
