"""Builds the read API around a read store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from readapi import problems
from readapi.metrics import ReadMetrics
from readapi.routes import (
    activity,
    agents,
    exports,
    hierarchy,
    ops,
    ops_page,
    overview,
    replay,
)
from readapi.store import ReadStore
from webkit import security
from webkit.limits import RequestLimits
from webkit.observability import Observe
from webkit.openapi import declare_problems
from webkit.rate_limits import RateLimits

MAX_BODY_BYTES = 16 * 1024
"""Reads carry no body worth the name."""


def create_app(store: ReadStore) -> FastAPI:
    """The read API over `store`, which it closes on shutdown."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="roster read API",
        version="1",
        description="Queries over the read models. Every answer names, in `X-Read-Position`, "
                    "the log position it reflects; `min_position` waits for a write to show. "
                    "Errors are RFC 9457 problems.",
    )
    app.state.store = store
    app.state.verifier = store.config.verifier
    app.state.metrics = ReadMetrics()
    app.state.metrics.watch(store)
    problems.install(app)
    declare_problems(app, limited=store.config.rate_limits is not None)
    for router in (agents.router, hierarchy.router, activity.router, overview.router,
                   replay.router, exports.router, ops.router, ops_page.router):
        app.include_router(router)
    if store.config.rate_limits is not None:
        app.add_middleware(RateLimits, config=store.config.rate_limits,
                           verifier=app.state.verifier, metrics=app.state.metrics)
    app.add_middleware(RequestLimits, limits=store.config.limits)
    security.install(app, store.config.cors_origins)
    app.add_middleware(Observe, metrics=app.state.metrics, max_body_bytes=MAX_BODY_BYTES)
    return app
