"""Inbound webhooks: the HR system's signed deliveries mapped to commands."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from commands import models
from commands.service import AgentService, Change, Request
from commands.unit import Unit
from webkit.observability import correlation_id
from webkit.openapi import problems
from webkit.problems import Problem
from writeapi import batches, hrms
from writeapi.deps import Config, Service, command_span
from writeapi.schemas import Accepted, accepted

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_DELIVERY: TypeAdapter[hrms.HrDelivery] = TypeAdapter(hrms.HrDelivery)
_CHANGE: TypeAdapter[hrms.HrChange] = TypeAdapter(hrms.HrChange)


def _parse(body: bytes) -> hrms.HrDelivery:
    try:
        return _DELIVERY.validate_json(body)
    except ValidationError as error:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in error.errors()]
        raise Problem(422, "invalid_request", "the delivery has invalid fields",
                      errors=fields) from None


def _change(service: AgentService, change: hrms.HrChange, request: Request) -> Change:
    """What the service does for one employee's change, the agents found by their codes."""
    by = request.provenance
    if isinstance(change, hrms.Terminated):
        data = change.data
        return service.of_code(change.agent_code,
                               lambda agent_id, _: service.terminating(agent_id, data, by))
    if isinstance(change, hrms.Updated):
        update = change.data
        return service.of_code(change.agent_code,
                               lambda agent_id, _: service.updating(agent_id, update, by))
    place = change.data

    def transfer(agent_id: UUID, unit: Unit) -> Change:
        fields = place.model_dump(exclude_none=True, exclude={"manager_code"})
        manager_id = (unit.owner("agent_code", place.manager_code) if place.manager_code
                      else unit.agent(agent_id).manager_id)
        return service.transferring(agent_id, models.UpdateAgent(**fields) if fields else None,
                                    manager_id, by)
    return service.of_code(change.agent_code, transfer)


def _many(service: AgentService, delivery: hrms.ManyChanged, request: Request) -> Response:
    def change_of(change: hrms.HrChange) -> Change:
        return _change(service, change, request)

    made = batches.changes(delivery.changes, _CHANGE.validate_python, change_of)
    outcomes = batches.run(service, request, delivery.changes, made,
                           delivery=("hrms", delivery.delivery_id))
    return batches.answer(outcomes, 200)


@router.post("/hrms", response_model=Accepted | batches.BatchAnswer,
             responses=problems(401, 404, 409, 413, 422, 503))
async def hrms_delivery(
    http: HttpRequest, service: Service, config: Config
) -> Response:
    """Apply a signed HR delivery (terminated, transferred, updated) once; replays are refused.
    A `batch` delivery carries up to 500 employees' changes, applied as one batch and answered
    each on its own (207), as `POST /v1/agents:batch` does."""
    body = await http.body()
    hrms.verify(config.hrms_secret, http.headers.get("x-hrms-timestamp"),
                http.headers.get("x-hrms-signature"), body, config.hrms_tolerance_seconds)
    delivery = _parse(body)
    if isinstance(delivery, hrms.ManyChanged):
        with command_span(http, Request.by("hrms", correlation_id.get(), "hrms")) as many:
            return await run_in_threadpool(_many, service, delivery, many)
    with command_span(http, Request.by("hrms", correlation_id.get(), "hrms",
                                       delivery=("hrms", delivery.delivery_id))) as request:
        return accepted(await run_in_threadpool(service.run, request,
                                                _change(service, delivery, request)))
