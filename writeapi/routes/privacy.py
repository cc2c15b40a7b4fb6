"""Personal data: its erasure (crypto-shredding) and its audited disclosure in full."""

from __future__ import annotations

from typing import Annotated, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from commands import models
from writeapi.deps import Approver, Auditor, Service
from writeapi.schemas import COMMAND_PROBLEMS, Accepted, PersonalData, accepted, json_response

router = APIRouter(prefix="/v1/agents", tags=["privacy"])

Field = Literal["pan", "aadhaar", "bank_account", "email", "phone"]
StatedReason = Annotated[str, Query(
    min_length=10, max_length=500, pattern=r"^\s*\S+(\s+\S+){2,}",
    description="Why the values are needed, in at least three words; recorded with the call.")]


@router.post("/{agent_id}/erasure", response_model=Accepted, responses=COMMAND_PROBLEMS)
def erase(agent_id: UUID, cmd: models.ErasePersonalData, request: Approver,
          service: Service) -> Response:
    """Erase a terminated or rejected agent's personal data: its data key is destroyed and
    `PersonalDataErased` recorded. Its history stays; every past event reads PAN, Aadhaar,
    bank account, email and phone as `erased` from then on. A second erasure is 409."""
    return accepted(service.erase(agent_id, cmd, request))


@router.get("/{agent_id}/personal-data", response_model=PersonalData,
            responses=COMMAND_PROBLEMS)
def disclose(agent_id: UUID, reason: StatedReason, request: Auditor, service: Service,
             fields: Annotated[list[Field] | None, Query()] = None) -> Response:
    """The agent's personal fields in full (all of them unless `fields` names some), for an
    auditor who says why. Each call is recorded as a `PersonalDataDisclosed` event (who, when,
    which fields, why), which the timeline and the audit log show."""
    chosen = sorted(set(fields or get_args(Field)))
    result, values = service.disclose(agent_id, chosen, reason, request)
    return json_response({"agent_id": agent_id, "version": result.version,
                          "position": result.position, "reason": reason, "fields": values},
                         headers={"X-Position": str(result.position)})
