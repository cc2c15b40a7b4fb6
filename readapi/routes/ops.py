"""Operations endpoints: liveness, readiness, the projections' state and Prometheus metrics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import redis
from anyio import to_thread
from fastapi import APIRouter
from fastapi import Request as HttpRequest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from projections import export_runs, operations
from projections.generations import Generation
from readapi.deps import Limit, Operator, Store
from readapi.errors import ReadError
from readapi.export_schemas import RunPublic, Runs
from readapi.metrics import ReadMetrics
from readapi.responses import answer
from readapi.schemas import DeadLettersOps, ProjectionsOps, Ready
from webkit.openapi import Live, problems

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=Live)
async def live() -> Response:
    """The process is up."""
    return answer({"status": "ok"}, 0)


@router.get("/health/ready", response_model=Ready, responses=problems(503))
async def ready(store: Store) -> Response:
    """The read models' database answers (503 otherwise); Redis, where there is one, is
    reported but only degrades the answer."""
    await store.run(lambda cur: cur.execute("SELECT 1"))
    redis_state = "absent"
    if store.cache is not None:
        try:
            redis_state = "ok" if await store.cache.ping() else "down"
        except redis.RedisError:
            redis_state = "down"
    return answer({"status": "ok" if redis_state != "down" else "degraded",
                   "read_models": "ok", "redis": redis_state}, 0)


@router.get("/v1/ops/projections", response_model=ProjectionsOps,
            responses=problems(401, 403, 503))
async def get_projections(store: Store, _: Operator) -> Response:
    """Per projection: its live generation and version, the position it has applied and its
    lag behind the log's head, parked dead letters, and any rebuild under way."""
    head = await to_thread.run_sync(store.config.log_head)
    found = await store.run(lambda cur: operations.standings(
        cur, store.config.source, store.config.partitions))
    now = datetime.now(UTC)
    return answer({"log_head": head,
                   "projections": [_projection(s, head, now) for s in found]}, 0)


@router.get("/v1/ops/dead-letters", response_model=DeadLettersOps,
            responses=problems(401, 403, 422, 503))
async def get_dead_letters(store: Store, _: Operator, limit: Limit = 50) -> Response:
    """The newest parked events of every projection, with the error that parked them
    (`roster dlq retry` applies them again)."""
    found = await store.run(lambda cur: operations.parked(cur, limit))
    return answer({"items": [asdict(p) for p in found]}, 0)


@router.get("/v1/ops/exports", response_model=Runs, responses=problems(401, 403, 422, 503))
async def get_exports(store: Store, _: Operator, limit: Limit = 50) -> Response:
    """Everyone's export runs that are queued or being written, oldest first."""
    found = await store.run(lambda cur: export_runs.active(cur, limit))
    return answer(Runs(items=[RunPublic.of(r) for r in found]).model_dump(mode="json"), 0)


def _generation(g: Generation) -> dict[str, Any]:
    return {"generation": g.number, "version": g.version, "started_at": g.started_at,
            "switched_at": g.switched_at}


def _projection(s: operations.Standing, head: int, now: datetime) -> dict[str, Any]:
    behind = max(0, head - s.applied)
    rebuild = None
    if s.building is not None:
        b = s.building
        rebuild = {**_generation(b), "position": b.position, "target": b.target,
                   "progress": round(min(1.0, b.position / b.target), 4) if b.target else 0.0,
                   "events_per_second": round(b.rate, 1)}
    return {
        "projection": s.projection,
        "live": _generation(s.live) if s.live is not None else None,
        "applied_position": s.applied,
        "lag_positions": behind,
        "lag_seconds": round((now - s.applied_at).total_seconds(), 3)
        if behind and s.applied_at is not None else 0.0,
        "dead_letters": s.parked,
        "kept": s.kept,
        "rebuild": rebuild,
        "verification": None if s.verdict is None else {
            "checked_at": s.verdict.checked_at, "generation": s.verdict.generation,
            "position": s.verdict.position, "differences": s.verdict.differences},
    }


@router.get("/metrics", include_in_schema=False)
async def metrics(http: HttpRequest, store: Store) -> Response:
    """Prometheus metrics of this process, with each projection's state as the registry has
    it at this scrape (wherever its consumers and rebuilds run), whether the read models
    answer, and the pool and Redis as this process finds them."""
    measured: ReadMetrics = http.app.state.metrics
    try:
        found = await store.run(lambda cur: operations.standings(
            cur, store.config.source, store.config.partitions))
        measured.ready.set(1)
    except ReadError:  # as /health/ready says: the read models do not answer
        found = []
        measured.ready.set(0)
    head = await store.head()
    for standing in found:
        measured.projection(standing, head)
    measured.pool_stats(store.pool_stats())
    return Response(generate_latest(measured.registry), media_type=CONTENT_TYPE_LATEST)
