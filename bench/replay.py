"""Audit replay latency: `GET /v1/agents/{id}/as-of` for agents with 10, 100 and 1,000 events,
beside the profile read of the same agent in the same run (a document the read models already
hold), one request at a time over HTTP to `roster readapi`, on PostgreSQL and on SQLite.

    .venv/bin/python -m bench.replay [--requests 300] [--population 2000]

Each agent is onboarded, licensed and approved, then edited until it has its number of events,
among a population of five-event agents; the read models are built before the server starts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from uuid import UUID

import httpx

from bench.embedded import catch_up, fresh
from bench.read_latency import _serve
from bench.rebuild import BY, fill
from commands.service import AgentService
from domain.agent import Agent
from roster.settings import Settings, Store
from roster.wiring import agent_service
from tests.agents import license_, new_agent
from tests.builders import TODAY
from tests.pipeline.conftest import free_port
from webkit.auth import Role, issue_token

HISTORIES = (10, 100, 1000)


def long_lived(service: AgentService, events: int, n: int) -> UUID:
    """An agent with exactly `events` events: onboarded, licensed, approved, then edited."""
    agent: Agent = new_agent(n)
    agent.add_license(license_(f"LIC-9{n:06d}"), BY)
    agent.approve(TODAY, BY)
    for k in range(events - 3):
        agent.update({"office_code": f"OF{k % 997:03d}"}, BY)
    service.save(agent)
    return agent.id


def _ms(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100)[share - 1] * 1000


def measure(settings: Settings, agents: dict[int, UUID], requests: int) -> dict[str, float]:
    """p50 and p95 of each read, over `requests` sequential requests each, interleaved."""
    port = free_port()
    env = {**settings.environment(), "ROSTER_LOG_LEVEL": "WARNING"}
    server = _serve([sys.executable, "-m", "roster", "readapi", "--port", str(port)], env, port)
    token = issue_token(settings.jwt_secret.get_secret_value(), "ada", Role.AUDITOR, 3600)
    now = datetime.now(UTC).isoformat()
    paths = {}
    for events, agent in agents.items():
        paths[f"as-of version, {events} events"] = f"/v1/agents/{agent}/as-of?version={events}"
        paths[f"as-of time, {events} events"] = f"/v1/agents/{agent}/as-of?at={now}"
        paths[f"profile, {events} events"] = f"/v1/agents/{agent}"
    taken: dict[str, list[float]] = {name: [] for name in paths}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for path in paths.values():  # warm up
                assert client.get(path.replace("+", "%2B")).status_code == 200, path
            for _ in range(requests):
                for name, path in paths.items():
                    began = time.perf_counter()
                    client.get(path.replace("+", "%2B")).raise_for_status()
                    taken[name].append(time.perf_counter() - began)
    finally:
        server.terminate()
        server.wait()
    return {f"{name} {q}": _ms(values, share) for name, values in taken.items()
            for q, share in (("p50", 50), ("p95", 95))}


def main() -> None:
    """Seed each store, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--population", type=int, default=2000)
    parser.add_argument("--stores", default="postgres,sqlite")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for kind in (Store(s) for s in args.stores.split(",")):
        with fresh(kind) as settings:
            service = agent_service(settings)
            fill(service, args.population, 1)
            agents = {events: long_lived(service, events, n)
                      for n, events in enumerate(HISTORIES, start=1)}
            catch_up(settings, service)
            service.close()
            results[kind.value] = measure(settings, agents, args.requests)
            print(f"{kind.value}: done", file=sys.stderr, flush=True)
    print(f"\n{args.requests} sequential requests per read, interleaved; "
          f"{args.population:,} other agents; ms")
    print("| store | events of the agent | as-of ?version p50 / p95 | as-of ?at p50 / p95 | "
          "profile p50 / p95 | as-of ?version p50 ÷ profile p50 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, found in results.items():
        for events in HISTORIES:
            row = {read: (found[f"{read}, {events} events p50"],
                          found[f"{read}, {events} events p95"])
                   for read in ("as-of version", "as-of time", "profile")}
            cells = " | ".join(f"{p50:.1f} / {p95:.1f}" for p50, p95 in row.values())
            ratio = row["as-of version"][0] / row["profile"][0]
            print(f"| {name} | {events:,} | {cells} | {ratio:.1f} |")


if __name__ == "__main__":
    os.environ.setdefault("ROSTER_LOG_LEVEL", "WARNING")
    main()
