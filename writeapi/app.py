"""Builds the write API around an application service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from commands.service import AgentService
from webkit import security
from webkit.limits import RequestLimits
from webkit.observability import Metrics, Observe
from webkit.openapi import declare_problems
from webkit.rate_limits import RateLimits
from writeapi import problems
from writeapi.config import WriteApiConfig
from writeapi.routes import agents, ops, privacy, webhooks

BATCH_PATHS = ("/v1/agents:batch", "/v1/webhooks/hrms")
"""The paths whose bodies may carry a batch, up to `max_batch_body_bytes`."""


def create_app(service: AgentService, config: WriteApiConfig,
               on_shutdown: Callable[[], None] = lambda: None) -> FastAPI:
    """The write API, serving `service` with `config`; `on_shutdown` releases what its
    maker opened for it."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        on_shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="roster write API",
        version="1",
        description="Commands on agents and inbound HR webhooks. Errors are RFC 9457 problems.",
    )
    app.state.service = service
    app.state.config = config
    app.state.verifier = config.verifier
    app.state.metrics = Metrics()
    if service.committer is not None:
        service.committer.on_group = app.state.metrics.group_commit.observe
    problems.install(app)
    declare_problems(app, limited=config.rate_limits is not None)
    for router in (agents.router, privacy.router, webhooks.router, ops.router):
        app.include_router(router)
    if config.rate_limits is not None:
        app.add_middleware(RateLimits, config=config.rate_limits,
                           verifier=app.state.verifier, metrics=app.state.metrics)
    app.add_middleware(RequestLimits, limits=config.limits)
    security.install(app, config.cors_origins)
    app.add_middleware(Observe, metrics=app.state.metrics, max_body_bytes=config.max_body_bytes,
                       large_bodies=dict.fromkeys(BATCH_PATHS, config.max_batch_body_bytes))
    return app
