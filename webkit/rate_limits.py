"""Rate limits for both APIs, as one ASGI middleware on the `limits` library.

Each request counts against one rule: the first whose method and path it matches, else the
default. A rule counts per caller (the bearer token's subject; the client address when the
token is missing or invalid) or, when shared, once for everyone (the HR webhook). The counts
live in Redis when several API processes must share them, in memory otherwise.

Every counted answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`;
over the limit the answer is 429 with `Retry-After`. Health, readiness and metrics are never
counted. When Redis fails the request is served uncounted (fail open), a metric counts it, and
Redis is left alone for a second before it is tried again.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webkit.auth import NotAuthenticated, Verifier
from webkit.observability import Metrics
from webkit.problems import problem

log = logging.getLogger(__name__)

UNLIMITED = frozenset({"/health/live", "/health/ready", "/metrics"})
"""Paths never counted: probes and scrapes."""
PAUSE_SECONDS = 1.0
"""After the storage fails, how long requests go uncounted before it is tried again."""


@dataclass(frozen=True)
class Rule:
    """A limit for the requests of one method on one path."""

    name: str
    method: str
    path: str
    rate: str
    """In the `limits` notation, e.g. `60/minute`."""
    shared: bool = False
    """One count for every caller, instead of one each."""


@dataclass(frozen=True)
class RateLimitConfig:
    """Where counts live, the rules, and the rate of every other request (per caller)."""

    storage: str
    """A `limits` async storage URI: `async+memory://`, or `async+redis://host:port/db`."""
    rules: tuple[Rule, ...]
    default: str
    prefix: str = "roster"
    """Of the counts' keys in Redis."""


class RateLimits:
    """Counts each request against its rule; answers 429 over the limit."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig, verifier: Verifier,
                 metrics: Metrics) -> None:
        self.app = app
        self.verifier = verifier
        self.metrics = metrics
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if config.storage.startswith("async+redis"):
            options |= {"implementation": "redispy", "key_prefix": f"{config.prefix}:limits",
                        "socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        storage = storage_from_string(config.storage, **options)
        if not isinstance(storage, Storage):
            raise ValueError(f"{config.storage}: name an async storage (async+...)")
        self.limiter = MovingWindowRateLimiter(storage)
        self.rules = {(r.method, r.path): (r, parse(r.rate)) for r in config.rules}
        self.default = (Rule("default", "*", "*", config.default), parse(config.default))
        self._back_at = 0.0
        for rule, _ in (*self.rules.values(), self.default):
            metrics.rate_limited.labels(rule.name)  # a series from the start, at 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request if its rule allows it."""
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        rule, item = self.rules.get((scope["method"], scope["path"]), self.default)
        key = "*" if rule.shared else self._caller(scope)
        counted = await self._count(rule, item, key)
        if counted is None:
            await self.app(scope, receive, send)
            return
        allowed, headers = counted
        if not allowed:
            self.metrics.rate_limited.labels(rule.name).inc()
            response = problem(429, "rate_limited",
                               f"more than {rule.rate} requests ({rule.name}); retry in "
                               f"{headers[b'retry-after'].decode()}s",
                               limit=rule.rate)
            response.headers.update({k.decode(): v.decode() for k, v in headers.items()})
            await response(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers.items()]
            await send(message)

        await self.app(scope, receive, stamped)

    def _caller(self, scope: Scope) -> str:
        """Whom the request counts for: the token's subject when it verifies, else the
        client address."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                try:
                    return f"sub:{self.verifier.principal(value.decode('latin-1')).subject}"
                except NotAuthenticated:
                    break
        client = scope.get("client")
        return f"ip:{client[0] if client else '-'}"

    async def _count(self, rule: Rule, item: RateLimitItem,
                     key: str) -> tuple[bool, dict[bytes, bytes]] | None:
        """Whether the request is allowed, and the headers saying how much is left; None
        when the storage fails (the request goes uncounted)."""
        if time.monotonic() < self._back_at:
            return None
        try:
            allowed = await self.limiter.hit(item, rule.name, key)
            stats = await self.limiter.get_window_stats(item, rule.name, key)
        except StorageError as error:
            log.warning("rate limits not counted for %.0fs: %s", PAUSE_SECONDS, error)
            self.metrics.rate_limit_failures.inc()
            self._back_at = time.monotonic() + PAUSE_SECONDS
            return None
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {b"ratelimit-limit": str(item.amount).encode(),
                   b"ratelimit-remaining": str(stats.remaining).encode(),
                   b"ratelimit-reset": str(reset).encode()}
        if not allowed:
            headers[b"retry-after"] = str(reset).encode()
        return allowed, headers
