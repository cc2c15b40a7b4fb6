"""Security headers on every answer of both APIs, as one ASGI middleware.

Every answer: `X-Content-Type-Options: nosniff`, `Cache-Control: no-store` (answers carry
personal data and depend on the caller's token), `Referrer-Policy: no-referrer`,
`X-Frame-Options: DENY` and a Content-Security-Policy that allows nothing (JSON needs nothing).
The interactive docs (`/docs`) get a policy of their own: Swagger UI's script and style from its
CDN, and its one inline script by its SHA-256, which this middleware reads from the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
"""What every answer carries."""

DOCS = "/docs"
CDN = "https://cdn.jsdelivr.net"
_INLINE = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(page: bytes) -> str:
    """The Content-Security-Policy of the docs page `page`: its CDN, its inline scripts by
    hash, the OpenAPI document from this origin, nothing else."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                      for s in _INLINE.findall(page))
    return (f"default-src 'none'; script-src {CDN} {hashes}; style-src {CDN}; "
            "img-src https://fastapi.tiangolo.com data:; connect-src 'self'; "
            "frame-ancestors 'none'")


class SecurityHeaders:
    """Adds the security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request; stamp its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == DOCS:
            await self._docs(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, stamped)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The docs page, held whole (a few kB) to hash its inline script."""
        start: Message = {}
        body = b""

        async def held(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            headers = MutableHeaders(scope=start)
            for name, value in HEADERS.items():
                headers.setdefault(name, value)
            headers["Content-Security-Policy"] = docs_policy(body)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, held)


def install(app: FastAPI, cors_origins: Sequence[str]) -> None:
    """Add the security headers to `app` and, when `cors_origins` names any, CORS for those
    origins alone (off otherwise: browsers of other origins may not call the API)."""
    if cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key",
                           "X-Request-ID", "Range"],
            expose_headers=["ETag", "Location", "X-Read-Position", "X-Request-ID",
                            "Retry-After", "RateLimit-Limit", "RateLimit-Remaining",
                            "RateLimit-Reset", "Content-Disposition"],
            max_age=600)
    app.add_middleware(SecurityHeaders)
