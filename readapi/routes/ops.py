"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import redis
from fastapi import APIRouter
from fastapi import Request as HttpRequest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from readapi.deps import Store
from readapi.responses import answer
from readapi.schemas import Ready
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


@router.get("/metrics", include_in_schema=False)
async def metrics(http: HttpRequest) -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(http.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
