"""The embedded default against PostgreSQL: one event log (written by `roster demo-data` on
SQLite) applied to the read models of each store, then read through each store's read API.

For each run: (a) every projection catching up from the log into empty read models, events
applied per second summed over the seven projections;
(b) one client's read latency per route, p50 and p95 in ms. The baseline of each ratio is
PostgreSQL (with Redis in front of the documents, as deployed), measured in the same run.

    .venv/bin/python -m bench.embedded --agents 5000 --runs 3 --requests 300
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from uuid import UUID

import redis
from fastapi.testclient import TestClient

from bench.processes import SECRET
from bench.write_throughput import fresh_schema
from commands.service import AgentService
from consumers.log import EventLog
from roster import demo, pipeline
from roster.settings import Settings, Store, Transport
from roster.wiring import agent_service, read_api
from webkit.auth import Role, issue_token

Route = Callable[[random.Random], str]
ROUTES: dict[str, Route] = {}
"""The reads measured, each drawing its path at random (filled by `main`)."""


def embedded(folder: Path) -> Settings:
    """SQLite settings under `folder`, consumers fed from the log."""
    return Settings(_env_file=None, store=Store.SQLITE, data_dir=folder,
                    transport=Transport.LOG, jwt_secret=SECRET, hrms_secret=SECRET,
                    encryption_key=SECRET, log_level="WARNING")


@contextmanager
def postgres() -> Iterator[Settings]:
    """PostgreSQL settings on a fresh schema, with Redis keys of their own."""
    with fresh_schema() as made:
        tagged = made.model_copy(update={"transport": Transport.LOG,
                                         "redis_prefix": f"bench-{made.postgres_schema}"})
        yield tagged
        client = redis.Redis.from_url(tagged.redis_url)
        for key in client.scan_iter(f"{tagged.redis_prefix}:*"):
            client.delete(key)


@contextmanager
def fresh(kind: Store) -> Iterator[Settings]:
    """Settings on a fresh store of `kind` (a new schema, or a new folder), removed
    afterwards."""
    if kind is Store.POSTGRES:
        with postgres() as made:
            yield made
        return
    folder = tempfile.mkdtemp(prefix="bench-")
    try:
        yield embedded(Path(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def catch_up(settings: Settings, service: AgentService) -> float:
    """Events applied per second, summed over every projection, applying the whole log into
    empty read models."""
    chosen = pipeline.projections()
    with closing(pipeline.in_process_feed(settings, chosen, service)) as feed:
        started = time.perf_counter()
        delivered = feed.catch_up()
        elapsed = time.perf_counter() - started
        feed.poll()
    return delivered / elapsed


def latencies(settings: Settings, agents: list[UUID], requests: int) -> dict[str, list[float]]:
    """Per route, the seconds of `requests` sequential reads through the read API."""
    token = issue_token(SECRET, "bench", Role.AUDITOR, 3600)
    headers = {"Authorization": f"Bearer {token}"}
    chance = random.Random(9)
    found: dict[str, list[float]] = {}
    with TestClient(read_api(settings)) as client:
        for name, route in routes(agents).items():
            found[name] = []
            for _ in range(requests):
                path = route(chance)
                started = time.perf_counter()
                answer = client.get(path, headers=headers)
                found[name].append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
    return found


def routes(agents: list[UUID]) -> dict[str, Route]:
    """The reads measured: a fuzzy search with filters, a profile, a timeline, a chain."""
    return {
        "search (typo, region)": lambda c: (
            f"/v1/agents?q={_typo(c, c.choice(demo.LAST))}&region={c.choice(list(demo.OFFICES))}"
            "&limit=20"),
        "profile": lambda c: f"/v1/agents/{c.choice(agents)}",
        "timeline": lambda c: f"/v1/agents/{c.choice(agents)}/timeline",
        "hierarchy": lambda c: f"/v1/agents/{c.choice(agents)}/hierarchy",
    }


def _typo(chance: random.Random, name: str) -> str:
    letters = list(name.lower())
    letters[chance.randrange(1, len(letters))] = chance.choice("aeiou")
    return "".join(letters)


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    """Run the benchmark and print a table of medians over the runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    reads: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        log_store = embedded(Path(folder) / "log")
        service = agent_service(log_store)
        started = time.perf_counter()
        demo.fill(service, args.agents, seed=5, first=1, advance=lambda _: None)
        fill_seconds = time.perf_counter() - started
        events = EventLog(service).head()
        print(f"demo-data: {args.agents} agents through the commands on SQLite in "
              f"{fill_seconds:.1f} s ({args.agents / fill_seconds:.0f} agents/s), "
              f"log head {events}", flush=True)
        for run in range(args.runs):
            lite = embedded(Path(folder) / f"run{run}")
            lite.data_dir.mkdir()
            with postgres() as pg:
                for name, settings in (("sqlite", lite), ("postgres", pg)):
                    rates[name].append(catch_up(settings, service))
                agents = _agents(lite)
                for name, settings in (("sqlite", lite), ("postgres", pg)):
                    for route, spent in latencies(settings, agents, args.requests).items():
                        reads.setdefault((route, name), []).append(
                            (_ms(spent, 0.5), _ms(spent, 0.95)))
            print(f"run {run + 1}/{args.runs} done", flush=True)
        service.close()
    _print(rates, reads, args)


def _agents(settings: Settings) -> list[UUID]:
    database = pipeline.serving(settings)
    rows = database.run(lambda cur: cur.execute("SELECT agent_id FROM agent_summary").fetchall())
    database.close()
    return [agent for (agent,) in rows]


def _print(rates: dict[str, list[float]], reads: dict[tuple[str, str], list[tuple[float, float]]],
           args: argparse.Namespace) -> None:
    print(f"\n{args.agents} agents, medians of {args.runs} runs, {args.requests} reads per route")
    base = statistics.median(rates["postgres"])
    print("| (a) catch-up, 7 projections | events applied/s | ratio to PostgreSQL |")
    print("|---|---:|---:|")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f} |")
    print("\n| (b) read | store | p50 ms | p95 ms | p50 ratio to PostgreSQL |")
    print("|---|---|---:|---:|---:|")
    for route in dict.fromkeys(r for r, _ in reads):
        pg50 = statistics.median(p50 for p50, _ in reads[(route, "postgres")])
        for name in ("sqlite", "postgres"):
            p50 = statistics.median(p for p, _ in reads[(route, name)])
            p95 = statistics.median(p for _, p in reads[(route, name)])
            print(f"| {route} | {name} | {p50:.2f} | {p95:.2f} | {p50 / pg50:.2f} |")


if __name__ == "__main__":
    main()
