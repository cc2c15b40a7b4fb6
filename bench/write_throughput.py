"""Write throughput on PostgreSQL, commands/s with p50/p99 latency, medians of several runs:

(a) the HTTP write API (`roster writeapi --workers 2` in its own processes) driven by wrk
    (`--connections` clients), one commit per command (`ROSTER_GROUP_COMMIT=false`, as before
    issue 19) and with group commit (the default);
(b) the application service in-process (`--workers` threads, group commit);
(c) a bare `eventsourcing` save loop of the same aggregate (`--workers` threads): the baseline;
(d) `POST /v1/agents:batch`, 500 onboardings per request, `--batch-clients` requests at a time
    (4: two per worker; with two, uvicorn sometimes hands both to one worker), in agents/s.

    .venv/bin/python -m bench.write_throughput [--seconds 8] [--agents 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from bench import wrk
from bench.processes import SECRET, roster_env, running, wait_ready
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
BY = Provenance("bench", "bench")
MIXED = ("update", "add_license", "approve", "suspend", "resume")
BATCH = 500
ONBOARD_CEILING = 3000
"""More onboardings a second than the API reaches: wrk's file never runs out."""
Row = tuple[float, float, float]
"""Commands (or agents) a second, p50 ms, p99 ms."""


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


# --- (a) HTTP, driven by wrk ------------------------------------------------------------------

@contextmanager
def served(settings: Settings, group_commit: bool = True,
           extra: Mapping[str, str] | None = None) -> Iterator[int]:
    """The write API in its own process(es) on a free port; `extra` adds variables (the
    `OTEL_*` of `bench.tracing`)."""
    port = 18000 + os.getpid() % 1000
    env = roster_env(settings.postgres_schema, postgres_pool_size=16,
                     group_commit=str(group_commit).lower()) | dict(extra or {})
    with running(["writeapi", "--port", str(port), "--workers", str(SERVER_WORKERS)], env):
        wait_ready(f"http://127.0.0.1:{port}/health/ready")
        yield port


def tokens() -> dict[Role, str]:
    """A bearer token for each role the commands need."""
    return {role: issue_token(SECRET, role.value, role, 3600)
            for role in (Role.CLERK, Role.APPROVER)}


def request_line(method: str, path: str, token: str, body: Any) -> str:
    """One request of a file `bench/lua/replay.lua` sends."""
    text = "" if body is None else orjson.dumps(body).decode()
    return f"{method}\t{path}\t{token}\t{text}\n"


def onboarded(settings: Settings) -> list[str]:
    """The ids of the agents onboarded so far, oldest first."""
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        rows = conn.execute(
            f'SELECT originator_id FROM "{settings.postgres_schema}".roster_events '
            "WHERE topic = 'domain.agent:Agent.Onboarded' ORDER BY notification_id").fetchall()
    return [str(row[0]) for row in rows]


def mixed_lines(agent_ids: list[str], token: dict[Role, str]) -> Iterator[str]:
    """The mixed stream over `agent_ids`, one stage for every agent before the next, so an
    agent's commands are sent in order (thousands of requests apart, with at most
    `--connections` in flight)."""
    for name in MIXED:
        for agent_id in agent_ids:
            path = f"/v1/agents/{agent_id}"
            match name:
                case "update":
                    yield request_line("PATCH", path, token[Role.CLERK], {"phone": "9000000001"})
                case "add_license":
                    yield request_line("POST", path + "/licenses", token[Role.CLERK],
                                       license_body())
                case _:
                    yield request_line("POST", f"{path}/{name}", token[Role.APPROVER],
                                       None if name == "approve" else {})


def http_run(settings: Settings, seconds: float, connections: int, group_commit: bool,
             folder: Path, extra: Mapping[str, str] | None = None) -> dict[str, Row]:
    """Onboard for `seconds`, then run the mixed stream over what was onboarded, with wrk
    (the server's environment with `extra`)."""
    token = tokens()
    clerk = token[Role.CLERK]
    onboarding = folder / "onboard.txt"
    with onboarding.open("w") as out:
        out.writelines(request_line("POST", "/v1/agents", clerk, onboard_body())
                       for _ in range(int(seconds * ONBOARD_CEILING)))
    with served(settings, group_commit, extra) as port:
        url = f"http://127.0.0.1:{port}"
        warm = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {clerk}"})
        for _ in range(WARM_UP):
            warm.post("/v1/agents", json=onboard_body()).raise_for_status()
        onboard = wrk.run(url, {}, connections, seconds, requests=onboarding)
        mixed = folder / "mixed.txt"
        with mixed.open("w") as out:
            out.writelines(mixed_lines(onboarded(settings), token))
        stream = wrk.run(url, {}, connections, seconds, requests=mixed)
    return {"onboard": (onboard["rps"], onboard["p50"], onboard["p99"]),
            "mixed": (stream["rps"], stream["p50"], stream["p99"])}


# --- (d) batches over HTTP ---------------------------------------------------------------------

def batch_run(settings: Settings, batches: int, clients: int) -> dict[str, Row]:
    """Send `batches` batches of `BATCH` onboardings, `clients` at a time; agents/s and the
    p50/p99 of a batch's answer."""
    clerk = {"Authorization": f"Bearer {tokens()[Role.CLERK]}",
             "Content-Type": "application/json"}
    bodies = [orjson.dumps({"agents": [onboard_body() for _ in range(BATCH)]})
              for _ in range(batches + 1)]
    local = threading.local()
    with served(settings) as port:
        def send(body: bytes) -> None:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn: http.client.HTTPConnection = local.conn
            conn.request("POST", "/v1/agents:batch", body, clerk)
            answer = conn.getresponse()
            result = orjson.loads(answer.read())
            if answer.status != 207 or result["refused"]:
                raise RuntimeError(f"a batch was refused: {result}")

        send(bodies[0])
        wall, latencies = timed(clients, [partial(send, body) for body in bodies[1:]])
    rate, p50, p99 = summary(wall, latencies)
    return {"onboard": (rate * BATCH, p50, p99)}


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

def summary(wall: float, latencies: list[float]) -> Row:
    """Commands/s, p50 ms, p99 ms."""
    q = statistics.quantiles(latencies, n=100)
    return len(latencies) / wall, q[49] * 1000, q[98] * 1000


def in_process(timings: Timings) -> dict[str, Row]:
    """Rows of an in-process path (the mixed stream is timed per agent: 5 commands)."""
    rows = {}
    for stream, (wall, latencies) in timings.items():
        if stream == "mixed":
            latencies = [x / len(MIXED) for x in latencies for _ in MIXED]
        rows[stream] = summary(wall, latencies)
    return rows


PATHS = ("(a) HTTP, a commit per command", "(a) HTTP, group commit",
         "(b) application service", "(c) bare eventsourcing", "(d) HTTP batches of 500")


def measure(args: argparse.Namespace, label: str, settings: Settings,
            folder: Path) -> dict[str, Row]:
    """One path's rows, on a fresh schema."""
    match label:
        case "(a) HTTP, a commit per command" | "(a) HTTP, group commit":
            return http_run(settings, args.seconds, args.connections,
                            group_commit=label.endswith("group commit"), folder=folder)
        case "(b) application service":
            return in_process(service_run(settings, args.agents, args.workers))
        case "(c) bare eventsourcing":
            return in_process(bare_run(settings, args.agents, args.workers))
    return batch_run(settings, args.batches, args.batch_clients)


def main() -> None:
    """Measure each path `--runs` times and print the medians as a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8, help="each wrk measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk's clients")
    parser.add_argument("--agents", type=int, default=1000, help="in-process paths")
    parser.add_argument("--workers", type=int, default=32, help="in-process threads")
    parser.add_argument("--batches", type=int, default=20, help="of 500, for (d)")
    parser.add_argument("--batch-clients", type=int, default=4,
                        help="batches in flight at once, for (d)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    wrk.ensure()
    results: dict[tuple[str, str], list[Row]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.runs):
            for label in PATHS:
                with fresh_schema() as settings:
                    for stream, row in measure(args, label, settings, Path(scratch)).items():
                        results.setdefault((stream, label), []).append(row)
    print(f"\nPostgreSQL, median of {args.runs} runs; HTTP: wrk, {args.connections} connections, "
          f"{args.seconds:g} s per stream; in-process: {args.agents} agents on {args.workers} "
          f"threads; batches: {args.batches} x {BATCH}, {args.batch_clients} at a time "
          f"(mixed = {', '.join(MIXED)})\n")
    table(results, ("path", PATHS), "(c) bare eventsourcing", "(c)")


def table(results: dict[tuple[str, str], list[Row]], labels: tuple[str, Sequence[str]],
          baseline: str, short: str) -> None:
    """Print each stream's medians for each label (a column named `labels[0]`), with its
    ratio to `baseline`'s median rate (headed `ratio to SHORT`) and every run's rate."""
    print(f"| stream | {labels[0]} | commands/s | p50 ms | p99 ms | ratio to {short} | each run |")
    print("|---|---|---:|---:|---:|---:|---|")
    for stream in ("onboard", "mixed"):
        base = statistics.median(r[0] for r in results[(stream, baseline)])
        for label in labels[1]:
            rows = results.get((stream, label))
            if rows:
                rate, p50, p99 = (statistics.median(r[i] for r in rows) for i in range(3))
                each = " / ".join(f"{r[0]:,.0f}" for r in rows)
                print(f"| {stream} | {label} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | "
                      f"{rate / base:.2f} | {each} |")


if __name__ == "__main__":
    main()
