"""What a client may hold of a server: the size of a request's headers, the time its body may
take, and (in the HTTP protocol itself) the time its headers may take.

`RequestLimits` answers 431 to headers too many or too large and 408 to a body that stalls,
both as problems. `HeaderDeadline` is an HTTP protocol for uvicorn (httptools) that closes a
connection whose request line and headers are not all in within the keep-alive time from when
the connection (or its previous response) left it idle: a client sending a byte now and then
(slowloris) cannot hold it open, nor one sending a head larger than the bound.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from webkit.problems import problem


@dataclass(frozen=True)
class Limits:
    """The bounds on one request."""

    max_header_bytes: int = 8192
    max_headers: int = 100
    body_seconds: float = 10.0


class _BodyStalled(BaseException):
    """The client sent no part of the body for longer than allowed. A `BaseException`, so
    that no handler of the app (FastAPI turns a failed body read into a 400) catches it on
    its way back to `RequestLimits`."""


class RequestLimits:
    """ASGI middleware enforcing `Limits` on every HTTP request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversized headers, then run the app, with a deadline on each body read when
        the request has a body (a GET has none: no timer on the read path)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        size = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > self.limits.max_headers or size > self.limits.max_header_bytes:
            answer = problem(431, "headers_too_large",
                             f"send at most {self.limits.max_headers} headers of "
                             f"{self.limits.max_header_bytes} bytes in all")
            await answer(scope, receive, send)
            return
        if not any(name in (b"content-length", b"transfer-encoding") for name, _ in headers):
            await self.app(scope, receive, send)
            return
        started = False

        async def timed_receive() -> Message:
            try:
                async with asyncio.timeout(self.limits.body_seconds):
                    return await receive()
            except TimeoutError:
                raise _BodyStalled from None

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, watched_send)
        except _BodyStalled:
            if started:
                raise
            answer = problem(408, "request_timeout", f"the request body stalled for more than "
                                                     f"{self.limits.body_seconds:g}s")
            await answer(scope, receive, send)


HEAD_BYTES = 16 * 1024
"""The bound on a request head when uvicorn's options name none (h11's own default)."""


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request line and headers are
    not all in within the keep-alive time (`timeout_keep_alive`) of its becoming idle, or
    that sends more of them than uvicorn's bound on an incomplete request head
    (`h11_max_incomplete_event_size`, which its h11 protocol keeps). Named by its import path
    in uvicorn's options, so that worker processes load it too."""

    _deadline: asyncio.TimerHandle | None = None
    _head_bytes: int | None = 0
    """Bytes received of the request head under way; None once its headers are complete."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the first request's deadline."""
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Parse, then close the connection if the head under way has grown too large."""
        super().data_received(data)
        if self._head_bytes is None or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > (self.config.h11_max_incomplete_event_size or HEAD_BYTES):
            self.send_400_response("Request head too large.")

    def on_headers_complete(self) -> None:
        """The head is in: no deadline while the request is served."""
        self._head_bytes = None
        if self._deadline is not None:
            self._deadline.cancel()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """Start the next request's deadline."""
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_bytes = 0
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.timeout_keep_alive, self._expired)

    def _expired(self) -> None:
        if self._head_bytes is not None and not self.transport.is_closing():
            self.transport.close()
