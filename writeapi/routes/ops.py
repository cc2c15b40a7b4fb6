"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from commands.errors import StoreUnavailable
from webkit.observability import Metrics
from webkit.openapi import Live, problems
from writeapi.deps import Service
from writeapi.schemas import Ready, json_response

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=Live)
def live() -> Response:
    """The process is up."""
    return json_response({"status": "ok"})


@router.get("/health/ready", response_model=Ready, responses=problems(503))
def ready(service: Service) -> Response:
    """The event store answers; 503 when it does not."""
    try:
        head = service.ready()
    except Exception as error:
        raise StoreUnavailable from error
    return json_response({"status": "ok", "event_store": {"head_position": head}})


@router.get("/metrics", include_in_schema=False)
def metrics(http: HttpRequest, service: Service) -> Response:
    """Prometheus metrics of this process, with its readiness and event-store pool as found
    at this scrape."""
    measured: Metrics = http.app.state.metrics
    try:
        service.ready()
        measured.ready.set(1)
    except Exception:
        measured.ready.set(0)
    measured.pool_stats(service.pool_stats())
    return Response(generate_latest(measured.registry), media_type=CONTENT_TYPE_LATEST)
