"""Read latency: agents in a hierarchy eight levels deep; profile, search, chain and timeline
over HTTP at a fixed concurrency, beside raw baselines measured in the same run (a Redis GET of
the profile document, the bare SQL of each query through psycopg, a FastAPI constant); then the
replaced service's load test with wrk (`scripts/bench-tools.sh` installs it): 50 connections on
`GET /v1/agents?status=ACTIVE`, beside the constant.

    .venv/bin/python -m bench.read_latency --agents 100000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aiohttp
import psycopg
import redis.asyncio as aioredis

from bench import wrk
from bench.write_throughput import fresh_schema
from consumers.applier import Applier, Delivery
from consumers.redis_refresh import RedisRefresh
from projections import cache_marks, search
from projections.catalog import CACHED
from projections.envelope import Envelope
from roster import demo, pipeline
from roster.demo import FIRST, LAST
from roster.settings import Settings, Transport
from webkit.auth import Role, issue_token

REGIONS = [region.value for region in demo.OFFICES]
LEVELS = demo.LEVELS
Call = Callable[[], Awaitable[Any]]


def _levels(agents: int) -> list[int]:
    sizes = [max(1, agents // 10_000)]
    while len(sizes) < LEVELS - 1:
        sizes.append(sizes[-1] * 4)
    sizes.append(max(0, agents - sum(sizes)))
    return sizes


def _events(agent_id: UUID, n: int, manager: UUID | None, position: int,
            chance: random.Random) -> list[Envelope]:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    first, last = chance.choice(FIRST), chance.choice(LAST)
    onboarded = {"agent_code": f"AG-{n:07d}", "first_name": first, "last_name": last,
                 "agent_type": "INDIVIDUAL", "office_code": f"OF{n % 50:02d}",
                 "region": chance.choice(REGIONS), "email": f"a{n}@example.com",
                 "phone": "9876543210", "pan": "XXXXX1234X", "aadhaar": "XXXXXXXX1234",
                 "bank_account": None, "date_of_joining": "2025-01-01",
                 "manager_id": str(manager) if manager else None}
    expires = (date.today() + timedelta(days=chance.randint(1, 900))).isoformat()
    licensed = {"license": {"number": f"LIC-{n:07d}", "license_type": "LIFE",
                            "issued_on": "2025-01-01", "expires_on": expires,
                            "revoked_on": None}}
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("Onboarded", onboarded), ("LicenseAdded", licensed), ("Approved", {})]
    return [Envelope(uuid4(), kind, agent_id, version, position + version, at, "bench",
                     "bench", "job", payload)
            for version, (kind, payload) in enumerate(payloads, start=1)]


def seed(settings: Settings, agents: int) -> list[list[UUID]]:
    """`agents` onboarded, licensed and approved agents, level by level, through every
    projection (as the log feed would deliver them); the ids of each level."""
    chance = random.Random(5)
    store = pipeline.generations(settings)
    appliers = [pipeline.applier(settings, store, p, "log") for p in pipeline.projections()]
    levels: list[list[UUID]] = []
    position, n = 0, 0
    started = time.perf_counter()
    for size in _levels(agents):
        level: list[UUID] = []
        batch: list[Envelope] = []
        for _ in range(size):
            agent_id = uuid4()
            manager = chance.choice(levels[-1]) if levels else None
            batch += _events(agent_id, n, manager, position, chance)
            level.append(agent_id)
            position += 3
            n += 1
            if len(batch) >= 3000:
                _apply(appliers, batch)
                batch = []
        _apply(appliers, batch)
        levels.append(level)
        print(f"  seeded level {len(levels)}: {size} agents "
              f"({time.perf_counter() - started:.0f}s)", flush=True)
    with psycopg.connect(settings.read_models_conninfo(), autocommit=True) as conn:
        conn.execute("ANALYZE")
    sync = RedisRefresh([store.live(name) for name in CACHED], pipeline.document_cache(settings),
                        5000)
    print(f"  copied {sync.sync()} documents to Redis", flush=True)
    return levels


def _apply(appliers: list[Applier], batch: list[Envelope]) -> None:
    deliveries = [Delivery.of(0, e.position, e) for e in batch]
    for applier in appliers:
        applier.apply(deliveries)


async def measure(call: Call, concurrency: int, seconds: float) -> dict[str, float]:
    """Run `call` from `concurrency` tasks for `seconds`: p50/p95/p99 ms and calls per second."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000,
            "rps": len(latencies) / elapsed}


def _serve(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"nothing listens on {port}")


def _sql(settings: Settings, chance: random.Random, profiles: list[UUID],
         deep: list[UUID]) -> dict[str, Callable[[psycopg.AsyncCursor[Any]], Awaitable[Any]]]:
    today = date.today()

    async def profile(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute("SELECT document FROM agent_profile WHERE agent_id = %s",
                          (chance.choice(profiles),))
        return await cur.fetchall()

    async def found(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute(*_search_query(chance, today))
        return await cur.fetchall()

    async def chain(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute(
            "SELECT h.revision, m.agent_id, m.agent_code, m.name FROM hierarchy h "
            "LEFT JOIN hierarchy m ON m.agent_id = ANY(h.path) AND m.agent_id <> h.agent_id "
            "WHERE h.agent_id = %s ORDER BY array_position(h.path, m.agent_id)",
            (chance.choice(deep),))
        return await cur.fetchall()

    async def timeline(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute("SELECT * FROM timeline WHERE agent_id = %s "
                          "ORDER BY occurred_at DESC, agent_version DESC LIMIT 20",
                          (chance.choice(profiles),))
        return await cur.fetchall()

    return {"profile": profile, "search": found, "chain": chain, "timeline": timeline}


def _search_query(chance: random.Random, today: date) -> search.Query:
    filters = search.Filters(q=chance.choice(LAST)[:5], status="ACTIVE",
                             region=chance.choice(REGIONS))
    return search.query(filters, search.Sort.AGENT_CODE, None, 21, today)


def _paths(chance: random.Random, profiles: list[UUID],
           deep: list[UUID]) -> dict[str, Callable[[], str]]:
    return {
        "profile": lambda: f"/v1/agents/{chance.choice(profiles)}",
        "search": lambda: (f"/v1/agents?q={chance.choice(LAST)[:5]}&status=ACTIVE"
                           f"&region={chance.choice(REGIONS)}&limit=20"),
        "chain": lambda: f"/v1/agents/{chance.choice(deep)}/hierarchy",
        "timeline": lambda: f"/v1/agents/{chance.choice(profiles)}/timeline?limit=20",
    }


async def run_once(settings: Settings, levels: list[list[UUID]], concurrency: int,
                   seconds: float, port: int) -> dict[str, dict[str, float]]:
    """One round of every measurement."""
    chance = random.Random()
    profiles = [a for level in levels for a in level]
    deep = [level for level in levels if level][-1]
    token = issue_token(settings.jwt_secret.get_secret_value(), "bench", Role.VIEWER, 3600)
    results: dict[str, dict[str, float]] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
        for name, path in _paths(chance, profiles, deep).items():
            async def get(path: Callable[[], str] = path, base: int = port) -> None:
                async with http.get(f"http://127.0.0.1:{base}{path()}") as response:
                    await response.read()
                    assert response.status == 200, response.status
            results[f"HTTP {name}"] = await measure(get, concurrency, seconds)

        async def constant() -> None:
            async with http.get(f"http://127.0.0.1:{port + 1}/constant") as response:
                await response.read()
        results["HTTP FastAPI constant"] = await measure(constant, concurrency, seconds)

    client = aioredis.Redis.from_url(settings.redis_url, max_connections=concurrency)
    key = f"{settings.redis_prefix}:{cache_marks.PROFILE}"

    async def redis_get() -> None:
        await client.get(f"{key}:{chance.choice(profiles)}")
    results["Redis GET profile"] = await measure(redis_get, concurrency, seconds)
    await client.aclose()

    conns = [await psycopg.AsyncConnection.connect(settings.read_models_conninfo(),
                                                   autocommit=True)
             for _ in range(concurrency)]
    free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)
    for name, query in _sql(settings, chance, profiles, deep).items():
        async def bare(query: Callable[[psycopg.AsyncCursor[Any]], Awaitable[Any]] = query) -> None:
            conn = await free.get()
            try:
                await query(conn.cursor())
            finally:
                free.put_nowait(conn)
        results[f"SQL {name}"] = await measure(bare, concurrency, seconds)
    for conn in conns:
        await conn.close()
    headers = {"Authorization": f"Bearer {token}"}
    results["wrk search status=ACTIVE, 50 connections"] = wrk.run(
        f"http://127.0.0.1:{port}/v1/agents?status=ACTIVE", headers, 50, seconds)
    results["wrk FastAPI constant, 50 connections"] = wrk.run(
        f"http://127.0.0.1:{port + 1}/constant", headers, 50, seconds)
    return results


def main() -> None:
    """Seed, serve, measure `--runs` times, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="read API worker processes")
    args = parser.parse_args()
    wrk.ensure()
    port = 8611
    with fresh_schema() as base:
        settings = base.model_copy(update={"transport": Transport.LOG,
                                           "redis_prefix": base.postgres_schema,
                                           "rate_limits": False})
        print(f"seeding {args.agents} agents, {LEVELS} levels", flush=True)
        levels = seed(settings, args.agents)
        env = settings.model_copy(update={"log_level": "WARNING"}).environment()
        api = _serve([sys.executable, "-m", "roster", "readapi", "--port", str(port),
                      "--workers", str(args.workers)], env, port)
        constant = _serve([sys.executable, "-m", "uvicorn", "bench.constant_app:app",
                           "--port", str(port + 1), "--workers", str(args.workers),
                           "--log-level", "warning", "--no-access-log"], env, port + 1)
        try:
            runs = [asyncio.run(run_once(settings, levels, args.concurrency, args.seconds, port))
                    for _ in range(args.runs)]
        finally:
            api.terminate()
            constant.terminate()
            api.wait()
            constant.wait()
    _print(runs, args)


def _print(runs: list[dict[str, dict[str, float]]], args: argparse.Namespace) -> None:
    print(f"\n{args.agents} agents, concurrency {args.concurrency}, {args.seconds:.0f}s each, "
          f"median of {args.runs} runs")
    constant = statistics.median(r["HTTP FastAPI constant"]["rps"] for r in runs)
    print("| measurement | p50 ms | p95 ms | p99 ms | req/s | req/s vs constant |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in (n for n in runs[0] if not n.startswith("wrk")):
        m = {k: statistics.median(r[name][k] for r in runs) for k in ("p50", "p95", "p99", "rps")}
        print(f"| {name} | {m['p50']:.2f} | {m['p95']:.2f} | {m['p99']:.2f} | "
              f"{m['rps']:,.0f} | {m['rps'] / constant:.2f} |")
    base = statistics.median(r["wrk FastAPI constant, 50 connections"]["rps"] for r in runs)
    print("\n| wrk -t2 -c50 | p50 ms | p90 ms | p99 ms | req/s | req/s vs constant |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in (n for n in runs[0] if n.startswith("wrk")):
        m = {k: statistics.median(r[name][k] for r in runs) for k in ("p50", "p90", "p99", "rps")}
        print(f"| {name.removeprefix('wrk ')} | {m['p50']:.2f} | {m['p90']:.2f} | "
              f"{m['p99']:.2f} | {m['rps']:,.0f} | {m['rps'] / base:.2f} |")


if __name__ == "__main__":
    main()
