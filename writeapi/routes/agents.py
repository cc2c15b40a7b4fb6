"""Commands on agents: onboarding, profile, licenses, status, reinstatement and hierarchy."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from commands import models
from commands.history import describe
from webkit.openapi import problems
from writeapi import batches
from writeapi.deps import Approver, Clerk, Maker, Reader, Service
from writeapi.schemas import COMMAND_PROBLEMS, Accepted, AgentEvents, accepted, json_response

router = APIRouter(prefix="/v1/agents", tags=["agents"])
LicenseNo = Annotated[str, Path(max_length=30)]


@router.post("", status_code=201, response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def onboard(cmd: models.OnboardAgent, request: Clerk, service: Service) -> Response:
    """Onboard an agent; it waits for approval."""
    return accepted(service.onboard(cmd, request), 201)


class OnboardBatch(BaseModel):
    """Up to 500 onboardings, each a body as `POST /v1/agents` takes."""

    model_config = ConfigDict(extra="forbid")

    agents: list[dict[str, Any]] = Field(min_length=1, max_length=batches.MAX_ITEMS)


@router.post(":batch", status_code=207, response_model=batches.BatchAnswer,
             responses=problems(400, 401, 403, 409, 413, 422, 503))
def onboard_batch(batch: OnboardBatch, request: Clerk, service: Service) -> Response:
    """Onboard up to 500 agents at once. Each is checked and answered on its own, as if
    sent alone and in order (an invalid or refused one changes nothing and holds up none of
    the others), and the accepted ones are saved in one transaction. With an
    `Idempotency-Key`, the batch sent again answers each item as the first time."""
    made = batches.changes(batch.agents, models.OnboardAgent.model_validate,
                           lambda cmd: service.onboarding(cmd, request.provenance))
    outcomes = batches.run(service, request, batch.agents, made)
    return batches.answer(outcomes, 201)


@router.patch("/{agent_id}", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def update(
    agent_id: UUID, cmd: models.UpdateAgent, request: Clerk, service: Service
) -> Response:
    """Change profile and contact fields."""
    return accepted(service.update(agent_id, cmd, request))


@router.post("/{agent_id}/licenses", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def add_license(
    agent_id: UUID, cmd: models.AddLicense, request: Clerk, service: Service
) -> Response:
    """Add a license; its number must be unused across all agents."""
    return accepted(service.add_license(agent_id, cmd, request))


@router.post("/{agent_id}/licenses/{number}/renew", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def renew_license(
    agent_id: UUID, number: LicenseNo, cmd: models.RenewLicense, request: Clerk,
    service: Service,
) -> Response:
    """Move a license's expiry."""
    return accepted(service.renew_license(agent_id, number, cmd, request))


@router.post("/{agent_id}/licenses/{number}/revoke", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def revoke_license(
    agent_id: UUID, number: LicenseNo, cmd: models.Decide, request: Clerk, service: Service
) -> Response:
    """Revoke a license today."""
    return accepted(service.revoke_license(agent_id, number, cmd, request))


@router.post("/{agent_id}/approve", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def approve(agent_id: UUID, request: Approver, service: Service) -> Response:
    """Approve a pending agent; needs a license in force."""
    return accepted(service.approve(agent_id, request))


@router.post("/{agent_id}/reject", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def reject(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> Response:
    """Reject a pending agent."""
    return accepted(service.reject(agent_id, cmd, request))


@router.post("/{agent_id}/suspend", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def suspend(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> Response:
    """Suspend an active agent."""
    return accepted(service.suspend(agent_id, cmd, request))


@router.post("/{agent_id}/resume", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def resume(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> Response:
    """End a suspension."""
    return accepted(service.resume(agent_id, cmd, request))


@router.post("/{agent_id}/terminate", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def terminate(
    agent_id: UUID, cmd: models.TerminateAgent, request: Approver, service: Service
) -> Response:
    """Terminate an agent; direct reports go to `reassign_reports_to`."""
    return accepted(service.terminate(agent_id, cmd, request))


@router.post("/{agent_id}/reinstatement", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def request_reinstatement(
    agent_id: UUID, cmd: models.RequestReinstatement, request: Maker, service: Service
) -> Response:
    """Ask for a terminated agent to be reinstated (the maker)."""
    return accepted(service.request_reinstatement(agent_id, cmd, request))


@router.post("/{agent_id}/reinstatement/approve", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def approve_reinstatement(agent_id: UUID, request: Approver, service: Service) -> Response:
    """Reinstate the agent (the checker, who is not the maker)."""
    return accepted(service.approve_reinstatement(agent_id, request))


@router.post("/{agent_id}/reinstatement/reject", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def reject_reinstatement(
    agent_id: UUID, cmd: models.Decide, request: Approver, service: Service
) -> Response:
    """Refuse the reinstatement."""
    return accepted(service.reject_reinstatement(agent_id, cmd, request))


@router.put("/{agent_id}/manager", response_model=Accepted,
             responses=COMMAND_PROBLEMS)
def change_manager(
    agent_id: UUID, cmd: models.ChangeManager, request: Clerk, service: Service
) -> Response:
    """Move the agent and its subtree under another manager; refused if it forms a cycle."""
    return accepted(service.change_manager(agent_id, cmd, request))


@router.get("/{agent_id}/events", response_model=AgentEvents,
            responses=problems(401, 404, 422, 503))
def events(agent_id: UUID, _: Reader, service: Service) -> Response:
    """The agent's events as stored, personal values masked for everyone; an auditor reads
    them in full at `personal_data` (each call recorded)."""
    body = {"agent_id": agent_id, "events": [describe(e) for e in service.history(agent_id)],
            "personal_data": f"/v1/agents/{agent_id}/personal-data"}
    return json_response(body)
