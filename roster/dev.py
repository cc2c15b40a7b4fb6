"""`roster dev`: the whole service in one process on the embedded default.

The write API, the consumers (fed in-process from the event store's notification log), the
export worker and the read API run side by side on SQLite files under the data folder; no
server is needed. Each runs on a thread of its own, so the main thread alone takes SIGINT and
SIGTERM and stops them all in turn.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from roster import pipeline, tracing
from roster.settings import Settings, Store, Transport
from roster.wiring import agent_service, read_api, write_api
from webkit.auth import Role, issue_token

TOKEN_TTL_SECONDS = 12 * 3600
"""How long the printed tokens last: a working day."""


@dataclass(frozen=True)
class Ports:
    """Where the two APIs listen."""

    host: str = "127.0.0.1"
    write: int = 8000
    read: int = 8001


def embedded(settings: Settings) -> Settings:
    """`settings` on the embedded default: SQLite files, consumers fed from the log."""
    return settings.model_copy(update={"store": Store.SQLITE, "transport": Transport.LOG})


def tokens(settings: Settings, subject: str = "dev") -> dict[Role, str]:
    """A bearer token for each role, signed with the configured secret."""
    secret = settings.jwt_secret.get_secret_value()
    return {role: issue_token(secret, f"{subject}-{role.value}", role, TOKEN_TTL_SECONDS)
            for role in Role}


def serve(settings: Settings, ports: Ports, stop: threading.Event, reset: bool,
          echo: Callable[[str], None]) -> int:
    """Run the service until `stop` is set; 1 when a web server could not start."""
    settings = embedded(settings)
    if reset:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    service = agent_service(settings)
    chosen = pipeline.projections()
    feed = pipeline.in_process_feed(settings, chosen, service)
    pipeline.upgrade(settings, pipeline.generations(settings), chosen, service)
    tracing.configure("roster-dev")
    servers = [_server(tracing.instrument(write_api(settings, service)), settings, ports.host,
                       ports.write),
               _server(tracing.instrument(read_api(settings, service)), settings, ports.host,
                       ports.read)]
    worker = pipeline.export_worker(settings, service)
    threads = [threading.Thread(target=feed.run, args=(stop,), name="consumers"),
               threading.Thread(target=worker.run, args=(stop,), name="exports")]
    threads += [threading.Thread(target=s.run, name=f"api-{s.config.port}") for s in servers]
    for thread in threads:
        thread.start()
    started = _wait_started(servers, threads[2:])
    if started:
        echo(_banner(settings, ports))
        stop.wait()
    stop.set()
    for server in servers:
        server.should_exit = True
    for thread in threads:
        thread.join()
    feed.close()
    service.close()
    echo("roster dev: stopped" if started else "roster dev: a web server did not start")
    return 0 if started else 1


def _server(app: FastAPI, settings: Settings, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None,
                                         access_log=False, **settings.server_options()))


def _wait_started(servers: list[uvicorn.Server], threads: list[threading.Thread]) -> bool:
    """Whether every server came up (a server that cannot bind its port ends its thread)."""
    while not all(s.started for s in servers):
        if not all(t.is_alive() for t in threads):
            return False
        time.sleep(0.05)
    return True


def _banner(settings: Settings, ports: Ports) -> str:
    lines = [
        f"roster dev: data in {settings.data_dir.resolve()} (SQLite, no servers)",
        f"  write API  http://{ports.host}:{ports.write}   (docs at /docs)",
        f"  read API   http://{ports.host}:{ports.read}   (docs at /docs)",
        f"  tokens, valid {TOKEN_TTL_SECONDS // 3600} hours:",
    ]
    lines += [f"    {role.value:<9} {token}" for role, token in tokens(settings).items()]
    lines.append("  Ctrl-C stops it.")
    return "\n".join(lines)
