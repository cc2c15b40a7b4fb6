"""Correlation ids, access logs and Prometheus metrics, as one ASGI middleware."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webkit.problems import Problem, problem

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")
"""The correlation id of the request being served (`X-Request-ID`)."""

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("roster.access")


class CorrelationFilter(logging.Filter):
    """Adds the current correlation id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp `record` with the correlation id; never drops it."""
        record.correlation_id = correlation_id.get()
        return True


@dataclass
class Metrics:
    """An API's Prometheus metrics, in a registry of their own."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter("roster_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("roster_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
        self.commands = Counter("roster_commands_total", "Commands by type and outcome",
                                ["command", "outcome"], registry=self.registry)
        self.group_commit = Histogram(
            "roster_group_commit_commands", "Commands saved together in one event-store "
            "transaction (group commit)", registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.rate_limited = Counter("roster_rate_limited_total",
                                    "Requests refused over a rate limit, by rule", ["rule"],
                                    registry=self.registry)
        self.rate_limit_failures = Counter(
            "roster_rate_limit_storage_failures_total",
            "Requests served uncounted because the rate limits' storage failed",
            registry=self.registry)
        self.ready = Gauge("roster_ready", "1 while this process's readiness check passes, "
                           "else 0 (checked at each scrape)", registry=self.registry)
        self.pool = Gauge("roster_pg_pool_connections", "The PostgreSQL connection pool: "
                          "connections open, idle and at most, and requests waiting for one",
                          ["state"], registry=self.registry)

    def pool_stats(self, stats: Mapping[str, int]) -> None:
        """Report a `psycopg_pool` pool's counts (nothing for an empty mapping: SQLite)."""
        for state, key in _POOL_STATES.items():
            if key in stats:
                self.pool.labels(state).set(stats[key])


_POOL_STATES = {"open": "pool_size", "idle": "pool_available", "max": "pool_max",
                "waiting": "requests_waiting"}


def _outcome(status: int) -> str:
    if status < 400:
        return "accepted"
    return "refused" if status < 500 else "failed"


class Observe:
    """Sets the correlation id, refuses oversized bodies, logs and measures every request.
    A body may reach `max_body_bytes`, or the bound `large_bodies` gives its path (batches)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int,
                 large_bodies: Mapping[str, int] | None = None) -> None:
        self.app, self.metrics, self.max_body_bytes = app, metrics, max_body_bytes
        self.large_bodies = large_bodies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request under its correlation id."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = correlation_id.set(request_id)
        started = time.perf_counter()
        status = 500
        received = 0
        bound = self.large_bodies.get(scope["path"], self.max_body_bytes)

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > bound:
                raise Problem(413, "body_too_large", f"the body exceeds {bound} bytes")
            return message

        async def stamped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            declared = headers.get(b"content-length", b"0")
            if declared.isdigit() and int(declared) > bound:
                response = problem(413, "body_too_large", f"the body exceeds {bound} bytes")
                await response(scope, receive, stamped_send)
            else:
                await self.app(scope, counted_receive, stamped_send)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            correlation_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", "unmatched")
        method = scope["method"]
        self.metrics.requests.labels(method, path, str(status)).inc()
        self.metrics.latency.labels(method, path).observe(seconds)
        if method in {"POST", "PUT", "PATCH"} and route is not None:
            self.metrics.commands.labels(getattr(route, "name", path), _outcome(status)).inc()
        access_log.info("request", extra={"method": method, "path": scope["path"],
                                          "route": path, "status": status,
                                          "ms": round(seconds * 1000, 2)})
