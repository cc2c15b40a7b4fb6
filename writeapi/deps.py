"""Dependencies of the routes: the service, the caller, and the command's request context."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from hashlib import sha256
from typing import Annotated, Any

from fastapi import Depends
from fastapi import Request as HttpRequest

from commands import tracing
from commands.service import AgentService, Request
from webkit.auth import Principal, Role, caller
from webkit.observability import correlation_id
from webkit.problems import Problem
from writeapi.config import WriteApiConfig

_IF_MATCH = re.compile(r'(?:W/)?"?(\d{1,9})"?')
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


# The dependencies are `async` although they do not await: FastAPI runs a plain `def`
# dependency in the threadpool, a hop per dependency per request.

async def _service(request: HttpRequest) -> AgentService:
    service: AgentService = request.app.state.service
    return service


async def _config(request: HttpRequest) -> WriteApiConfig:
    config: WriteApiConfig = request.app.state.config
    return config


Service = Annotated[AgentService, Depends(_service)]
Config = Annotated[WriteApiConfig, Depends(_config)]


def _expected_version(header: str | None) -> int | None:
    if header is None:
        return None
    found = _IF_MATCH.fullmatch(header.strip())
    if found is None:
        raise Problem(400, "bad_if_match", 'If-Match must name an agent version, like "3"')
    return int(found.group(1))


def _idempotency_key(header: str | None) -> str | None:
    if header is not None and not _IDEMPOTENCY_KEY.fullmatch(header):
        raise Problem(400, "bad_idempotency_key",
                      "Idempotency-Key must be 1 to 255 visible ASCII characters")
    return header


def command(*roles: Role) -> Any:
    """A dependency giving the service `Request` of a command sent by one of `roles`."""
    allowed = caller(*roles)

    async def dependency(request: HttpRequest,
                         who: Principal = allowed) -> AsyncIterator[Request]:
        body = await request.body()
        fingerprint = sha256(b"%s %s\n%s" % (request.method.encode(), request.url.path.encode(),
                                              body)).hexdigest()
        made = Request.by(
            who.subject, correlation_id.get(),
            idempotency_key=_idempotency_key(request.headers.get("idempotency-key")),
            fingerprint=fingerprint,
            expected_version=_expected_version(request.headers.get("if-match")),
        )
        with command_span(request, made) as traced:
            yield traced

    return Depends(dependency)


@contextmanager
def command_span(http: HttpRequest, request: Request) -> Iterator[Request]:
    """A span for the command `request` carries, a child of the request's span, open while
    the command runs; `request` stamped with it, so its events join the trace."""
    name = getattr(http.scope.get("route"), "name", "command")
    span = tracing.TRACER.start_span(f"command {name}", attributes={
        "roster.actor": request.provenance.actor,
        "roster.correlation_id": request.provenance.correlation_id})
    try:
        stamped = replace(request.provenance, trace=tracing.traceparent(span))
        yield replace(request, provenance=stamped)
    finally:
        span.end()


Clerk = Annotated[Request, command(Role.CLERK)]
Approver = Annotated[Request, command(Role.APPROVER)]
Auditor = Annotated[Request, command(Role.AUDITOR)]
Maker = Annotated[Request, command(Role.CLERK, Role.APPROVER)]
Reader = Annotated[Principal, caller(*Role)]
