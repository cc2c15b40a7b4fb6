"""Inbound webhooks: the HR system's signed deliveries mapped to commands."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from commands import models
from commands.service import AgentService, CommandResult, Request
from webkit.observability import correlation_id
from webkit.openapi import problems
from webkit.problems import Problem
from writeapi import hrms
from writeapi.deps import Config, Service
from writeapi.schemas import Accepted, accepted

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_DELIVERY: TypeAdapter[hrms.HrDelivery] = TypeAdapter(hrms.HrDelivery)


def _parse(body: bytes) -> hrms.HrDelivery:
    try:
        return _DELIVERY.validate_json(body)
    except ValidationError as error:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in error.errors()]
        raise Problem(422, "invalid_request", "the delivery has invalid fields",
                      errors=fields) from None


def _run(service: AgentService, delivery: hrms.HrDelivery, request: Request) -> CommandResult:
    agent_id = service.agent_id_by_code(delivery.agent_code)
    if isinstance(delivery, hrms.AgentTerminated):
        return service.terminate(agent_id, delivery.data, request)
    if isinstance(delivery, hrms.AgentUpdated):
        return service.update(agent_id, delivery.data, request)
    data = delivery.data
    place = data.model_dump(exclude_none=True, exclude={"manager_code"})
    changes = models.UpdateAgent(**place) if place else None
    manager_id = (service.agent_id_by_code(data.manager_code) if data.manager_code
                  else service.agent(agent_id).manager_id)
    return service.transfer(agent_id, changes, manager_id, request)


@router.post("/hrms", response_model=Accepted,
             responses=problems(401, 404, 409, 413, 422, 503))
async def hrms_delivery(
    http: HttpRequest, service: Service, config: Config
) -> Response:
    """Apply a signed HR delivery (terminated, transferred, updated) once; replays are refused."""
    body = await http.body()
    hrms.verify(config.hrms_secret, http.headers.get("x-hrms-timestamp"),
                http.headers.get("x-hrms-signature"), body, config.hrms_tolerance_seconds)
    delivery = _parse(body)
    request = Request.by("hrms", correlation_id.get(), "hrms",
                         delivery=("hrms", delivery.delivery_id))
    return accepted(await run_in_threadpool(_run, service, delivery, request))
