"""The small HTTP endpoint of the relay and consumer processes: metrics and readiness."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import orjson
from prometheus_client import Gauge, make_wsgi_app

Check = Callable[[], tuple[bool, dict[str, Any]]]
"""Says whether the process keeps up, with details."""

READY = Gauge("roster_ready", "1 while this process's readiness check passes, else 0")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes are not worth a log line each."""


def health_app(check: Check) -> Callable[..., Iterable[bytes]]:
    """A WSGI app: `/health/live`, `/health/ready` (503 when behind), `/metrics`."""
    metrics = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/health/live":
            body, status = {"status": "live"}, "200 OK"
        elif path == "/health/ready":
            ready, detail = check()
            body = {"status": "ready" if ready else "behind", **detail}
            status = "200 OK" if ready else "503 Service Unavailable"
        else:
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        start_response(status, [("Content-Type", "application/json")])
        return [orjson.dumps(body)]

    return app


def serve(host: str, port: int, check: Check) -> WSGIServer:
    """Serve `health_app(check)` on a daemon thread; port 0 picks a free one. `roster_ready`
    reports the same check at every scrape."""
    READY.set_function(lambda: float(check()[0]))
    server = make_server(host, port, health_app(check), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True, name="health").start()
    return server
