"""Commands on agents: onboarding, profile, licenses, status, reinstatement and hierarchy."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from fastapi.responses import ORJSONResponse

from commands import models
from commands.history import describe
from commands.service import Request
from writeapi.auth import Role
from writeapi.deps import Approver, Clerk, Maker, Reader, Service
from writeapi.observability import correlation_id
from writeapi.schemas import Accepted, AgentEvents, accepted

router = APIRouter(prefix="/v1/agents", tags=["agents"])
LicenseNo = Annotated[str, Path(max_length=30)]
COMMAND = {"response_model": Accepted, "response_class": ORJSONResponse}


@router.post("", status_code=201, **COMMAND)
def onboard(cmd: models.OnboardAgent, request: Clerk, service: Service) -> ORJSONResponse:
    """Onboard an agent; it waits for approval."""
    return accepted(service.onboard(cmd, request), 201)


@router.patch("/{agent_id}", **COMMAND)
def update(
    agent_id: UUID, cmd: models.UpdateAgent, request: Clerk, service: Service
) -> ORJSONResponse:
    """Change profile and contact fields."""
    return accepted(service.update(agent_id, cmd, request))


@router.post("/{agent_id}/licenses", **COMMAND)
def add_license(
    agent_id: UUID, cmd: models.AddLicense, request: Clerk, service: Service
) -> ORJSONResponse:
    """Add a license; its number must be unused across all agents."""
    return accepted(service.add_license(agent_id, cmd, request))


@router.post("/{agent_id}/licenses/{number}/renew", **COMMAND)
def renew_license(
    agent_id: UUID, number: LicenseNo, cmd: models.RenewLicense, request: Clerk,
    service: Service,
) -> ORJSONResponse:
    """Move a license's expiry."""
    return accepted(service.renew_license(agent_id, number, cmd, request))


@router.post("/{agent_id}/licenses/{number}/revoke", **COMMAND)
def revoke_license(
    agent_id: UUID, number: LicenseNo, cmd: models.Decide, request: Clerk, service: Service
) -> ORJSONResponse:
    """Revoke a license today."""
    return accepted(service.revoke_license(agent_id, number, cmd, request))


@router.post("/{agent_id}/approve", **COMMAND)
def approve(agent_id: UUID, request: Approver, service: Service) -> ORJSONResponse:
    """Approve a pending agent; needs a license in force."""
    return accepted(service.approve(agent_id, request))


@router.post("/{agent_id}/reject", **COMMAND)
def reject(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> ORJSONResponse:
    """Reject a pending agent."""
    return accepted(service.reject(agent_id, cmd, request))


@router.post("/{agent_id}/suspend", **COMMAND)
def suspend(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> ORJSONResponse:
    """Suspend an active agent."""
    return accepted(service.suspend(agent_id, cmd, request))


@router.post("/{agent_id}/resume", **COMMAND)
def resume(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> ORJSONResponse:
    """End a suspension."""
    return accepted(service.resume(agent_id, cmd, request))


@router.post("/{agent_id}/terminate", **COMMAND)
def terminate(
    agent_id: UUID, cmd: models.TerminateAgent, request: Approver, service: Service
) -> ORJSONResponse:
    """Terminate an agent; direct reports go to `reassign_reports_to`."""
    return accepted(service.terminate(agent_id, cmd, request))


@router.post("/{agent_id}/reinstatement", **COMMAND)
def request_reinstatement(
    agent_id: UUID, cmd: models.RequestReinstatement, request: Maker, service: Service
) -> ORJSONResponse:
    """Ask for a terminated agent to be reinstated (the maker)."""
    return accepted(service.request_reinstatement(agent_id, cmd, request))


@router.post("/{agent_id}/reinstatement/approve", **COMMAND)
def approve_reinstatement(agent_id: UUID, request: Approver, service: Service) -> ORJSONResponse:
    """Reinstate the agent (the checker, who is not the maker)."""
    return accepted(service.approve_reinstatement(agent_id, request))


@router.post("/{agent_id}/reinstatement/reject", **COMMAND)
def reject_reinstatement(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> ORJSONResponse:
    """Refuse the reinstatement."""
    return accepted(service.reject_reinstatement(agent_id, cmd, request))


@router.put("/{agent_id}/manager", **COMMAND)
def change_manager(
    agent_id: UUID, cmd: models.ChangeManager, request: Clerk, service: Service
) -> ORJSONResponse:
    """Move the agent and its subtree under another manager; refused if it forms a cycle."""
    return accepted(service.change_manager(agent_id, cmd, request))


@router.get("/{agent_id}/events", response_model=AgentEvents, response_class=ORJSONResponse)
def events(agent_id: UUID, who: Reader, service: Service) -> ORJSONResponse:
    """The agent's events as stored; personal data in full only for the auditor role."""
    reveal = who.role is Role.AUDITOR
    disclosed_to = Request.by(who.subject, correlation_id.get()).provenance if reveal else None
    history = service.history(agent_id, disclosed_to)
    body = {"agent_id": agent_id, "revealed": reveal,
            "events": [describe(e, reveal=reveal) for e in history]}
    return ORJSONResponse(body)
