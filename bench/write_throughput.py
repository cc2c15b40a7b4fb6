"""Write throughput: commands/s and p50/p99 latency on PostgreSQL for onboarding and a mixed
command stream, (a) through the HTTP write API, (b) through the application service, and
(c) a bare `eventsourcing` save loop of the same aggregate; medians of several runs.

    .venv/bin/python -m bench.write_throughput [--agents 300] [--workers 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from commands import models
from commands.service import AgentService, Request
from commands.transcodings import register_domain_values
from domain.agent import Agent
from domain.values import AgentType, License, LicenseType, Provenance, Region
from roster.settings import Settings, Store
from tests.builders import license_body, onboard_body
from tests.conftest import drop_schemas
from webkit.auth import Role, issue_token

WARM_UP = 40
"""Onboardings before each measurement, so connection pools are full when timing starts."""
SERVER_WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS", "2"))
SECRET = "bench-secret-of-at-least-32-characters!"
BY = Provenance("bench", "bench")
MIXED = ("update", "add_license", "approve", "suspend", "resume")


def settings_for(schema: str) -> Settings:
    """PostgreSQL settings on a schema of this run."""
    return Settings(_env_file=None, store=Store.POSTGRES, postgres_schema=schema, allow_hs256=True,
                    jwt_secret=SECRET, hrms_secret=SECRET, encryption_key=SECRET,
                    postgres_pool_size=16, postgres_max_overflow=0)


@contextmanager
def fresh_schema() -> Iterator[Settings]:
    """A new schema for one measurement, dropped afterwards."""
    settings = settings_for(f"bench_{uuid.uuid4().hex[:10]}")
    dsn = settings.postgres_conninfo()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{settings.postgres_schema}"')
    try:
        yield settings
    finally:
        drop_schemas(settings)


def timed(workers: int, jobs: list[Callable[[], Any]]) -> tuple[float, list[float]]:
    """Run `jobs` on `workers` threads; wall seconds and each job's latency."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        started = time.perf_counter()
        job()
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()
    return time.perf_counter() - started, latencies


Timings = dict[str, tuple[float, list[float]]]


def mixed_jobs(
    agent_ids: list[Any], step: Callable[[Any, str, int], Any]
) -> list[Callable[[], Any]]:
    """One job per agent running the mixed stream in order (commands on one agent are serial)."""
    def for_agent(agent_id: Any) -> Callable[[], Any]:
        return lambda: [step(agent_id, name, i) for i, name in enumerate(MIXED)]
    return [for_agent(a) for a in agent_ids]


# --- (a) HTTP ----------------------------------------------------------------------------------

@contextmanager
def served(settings: Settings) -> Iterator[int]:
    """The write API in its own process(es) on a free port."""
    port = 18000 + os.getpid() % 1000
    env = os.environ | {f"ROSTER_{k.upper()}": str(v) for k, v in {
        "store": "postgres", "postgres_schema": settings.postgres_schema, "jwt_secret": SECRET,
        "hrms_secret": SECRET, "encryption_key": SECRET, "postgres_pool_size": 16,
        "allow_hs256": "true", "rate_limits": "false", "log_level": "WARNING"}.items()}
    roster = Path(sys.executable).with_name("roster")
    proc = subprocess.Popen([str(roster), "writeapi", "--port", str(port), "--workers",
                             str(SERVER_WORKERS)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def http_run(settings: Settings, agents: int, workers: int) -> Timings:
    """Onboard then run the mixed stream over HTTP."""
    clerk = {"Authorization": "Bearer " + issue_token(SECRET, "clerk", Role.CLERK, 3600)}
    approver = {"Authorization": "Bearer " + issue_token(SECRET, "appr", Role.APPROVER, 3600)}
    local = threading.local()
    with served(settings) as port:
        def send(method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn: http.client.HTTPConnection = local.conn
            conn.request(method, path, orjson.dumps(body),
                         headers | {"Content-Type": "application/json"})
            answer = conn.getresponse()
            data = answer.read()
            assert answer.status < 300, data
            return orjson.loads(data)

        ids: list[str] = []

        def onboard() -> None:
            ids.append(send("POST", "/v1/agents", onboard_body(), clerk)["agent_id"])

        timed(workers, [onboard] * WARM_UP)
        ids.clear()
        onboarding = timed(workers, [onboard] * agents)
        paths: dict[str, tuple[str, str, dict[str, str], Any]] = {
                 "update": ("PATCH", "", clerk, {"phone": "9000000001"}),
                 "approve": ("POST", "/approve", approver, None),
                 "suspend": ("POST", "/suspend", approver, {}),
                 "resume": ("POST", "/resume", approver, {})}

        def step(agent_id: str, name: str, _: int) -> None:
            method, path, who, body = paths.get(name) or ("POST", "/licenses", clerk,
                                                          license_body())
            send(method, f"/v1/agents/{agent_id}{path}", body, who)

        mixed = timed(workers, mixed_jobs(ids, step))
    return {"onboard": onboarding, "mixed": mixed}


# --- (b) application service -------------------------------------------------------------------

def service_run(settings: Settings, agents: int, workers: int) -> Timings:
    """Onboard then run the mixed stream through `AgentService`."""
    service = AgentService(settings.event_store_env(), settings.index_key)
    ids: list[UUID] = []
    clerk, approver = Request.by("clerk", "b"), Request.by("appr", "b")

    def onboard() -> None:
        ids.append(service.onboard(models.OnboardAgent(**onboard_body()), clerk).agent_id)

    timed(workers, [onboard] * WARM_UP)
    ids.clear()
    onboarding = timed(workers, [onboard] * agents)
    decide = models.Decide()

    def step(agent_id: UUID, name: str, _: int) -> None:
        match name:
            case "update":
                service.update(agent_id, models.UpdateAgent(phone="9000000001"), clerk)
            case "add_license":
                service.add_license(agent_id, models.AddLicense(**license_body()), clerk)
            case "approve":
                service.approve(agent_id, approver)
            case "suspend":
                service.suspend(agent_id, decide, approver)
            case "resume":
                service.resume(agent_id, decide, approver)

    mixed = timed(workers, mixed_jobs(ids, step))
    service.close()
    return {"onboard": onboarding, "mixed": mixed}


# --- (c) bare eventsourcing --------------------------------------------------------------------

class Bare(Application[UUID]):
    """A plain `eventsourcing` application saving the same aggregate, nothing else."""

    name = "Roster"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The same transcodings as the service."""
        super().register_transcodings(transcoder)
        register_domain_values(transcoder)


def bare_run(settings: Settings, agents: int, workers: int) -> Timings:
    """Create and save agents, then load-change-save them, with no uniqueness or idempotency."""
    app = Bare(env=settings.event_store_env())
    ids: list[UUID] = []

    def onboard() -> None:
        body = onboard_body()
        lic = body["licenses"][0]
        agent = Agent(agent_code=body["agent_code"], first_name="A", last_name="B",
                      agent_type=AgentType.INDIVIDUAL, office_code="MUM01", region=Region.WEST,
                      email=body["email"], phone=body["phone"], pan=body["pan"],
                      aadhaar=body["aadhaar"], bank_account=None,
                      date_of_joining=date(2024, 1, 15), manager_id=None, provenance=BY)
        agent.add_license(License(lic["number"], LicenseType.LIFE,
                                  date.fromisoformat(lic["issued_on"]),
                                  date.fromisoformat(lic["expires_on"])), BY)
        app.save(agent)
        ids.append(agent.id)

    timed(workers, [onboard] * WARM_UP)
    ids.clear()
    onboarding = timed(workers, [onboard] * agents)

    def step(agent_id: UUID, name: str, i: int) -> None:
        agent: Agent = app.repository.get(agent_id)
        match name:
            case "update":
                agent.update({"phone": f"900000000{i}"}, BY)
            case "add_license":
                lic = license_body()
                agent.add_license(License(lic["number"], LicenseType.LIFE,
                                          date.fromisoformat(lic["issued_on"]),
                                          date.fromisoformat(lic["expires_on"])), BY)
            case "approve":
                agent.approve(date.today(), BY)
            case "suspend":
                agent.suspend(None, BY)
            case "resume":
                agent.resume(None, BY)
        app.save(agent)

    mixed = timed(workers, mixed_jobs(ids, step))
    app.close()
    return {"onboard": onboarding, "mixed": mixed}


# --- report ------------------------------------------------------------------------------------

def summary(wall: float, latencies: list[float]) -> tuple[float, float, float]:
    """Commands/s, p50 ms, p99 ms."""
    q = statistics.quantiles(latencies, n=100)
    return len(latencies) / wall, q[49] * 1000, q[98] * 1000


def main() -> None:
    """Measure each path `--runs` times and print the medians as a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paths = {"(a) HTTP write API": http_run, "(b) application service": service_run,
             "(c) bare eventsourcing": bare_run}
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(args.runs):
        for label, run in paths.items():
            with fresh_schema() as settings:
                for stream, (wall, lat) in run(settings, args.agents, args.workers).items():
                    # the mixed stream is timed per agent (5 commands); report per command
                    if stream == "mixed":
                        lat = [x / len(MIXED) for x in lat for _ in MIXED]
                    results.setdefault((stream, label), []).append(summary(wall, lat))
    print(f"\nPostgreSQL, {args.agents} agents, {args.workers} workers, "
          f"median of {args.runs} runs (mixed = {', '.join(MIXED)})\n")
    print("| stream | path | commands/s | p50 ms | p99 ms | ratio to (c) |")
    print("|---|---|---:|---:|---:|---:|")
    for stream in ("onboard", "mixed"):
        base = statistics.median(r[0] for r in results[(stream, "(c) bare eventsourcing")])
        for label in paths:
            rows = results[(stream, label)]
            rate, p50, p99 = (statistics.median(r[i] for r in rows) for i in range(3))
            print(f"| {stream} | {label} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | "
                  f"{rate / base:.2f} |")


if __name__ == "__main__":
    main()
