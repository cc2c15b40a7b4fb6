"""Read latency at a chosen population: profile, manager chain, timeline and every search
shape over HTTP at a fixed concurrency, beside raw baselines measured in the same run (a Redis
GET of the profile document, the bare SQL of each read through psycopg, a FastAPI constant);
then the replaced service's load test with wrk (`scripts/bench-tools.sh` installs it): 50
connections on `GET /v1/agents?status=ACTIVE`, beside the constant.

The population is seeded once per size into a schema of its own (`bench_reads_<agents>`; with
`--store sqlite`, the embedded default, into `.bench/bench_reads_<agents>/`) and reused by later
runs (`--fresh` seeds it again):

    .venv/bin/python -m bench.read_latency --agents 100000 --runs 3
    .venv/bin/python -m bench.read_latency --agents 100000 --runs 3 --store sqlite
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
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import psycopg
import redis.asyncio as aioredis

from bench import wrk
from bench.read_population import REGIONS, Population, seeded
from bench.write_throughput import settings_for
from projections import cache_marks, search
from roster.demo import LAST
from roster.settings import Settings, Store, Transport
from webkit.auth import Role, issue_token

ROOT = Path(__file__).resolve().parents[1]
PAGE = 20
"""The page size of the per-route searches (a dashboard's page)."""

Call = Callable[[], Awaitable[Any]]
Shape = Callable[[random.Random], search.Filters]


def _typo(name: str, chance: random.Random) -> str:
    """`name` with one letter inside it replaced: a last name as a hurried user types it."""
    at = chance.randrange(1, len(name) - 1)
    return name[:at] + ("a" if name[at] != "a" else "e") + name[at + 1:]


def shapes(chosen: Population) -> dict[str, Shape]:
    """Every search shape the issue names, as the filters of one random request."""
    managers = chosen.managers
    size = len(chosen.agents)
    return {
        "status only": lambda _: search.Filters(status="ACTIVE"),
        "name fragment + region": lambda c: search.Filters(
            q=c.choice(LAST)[:5], region=c.choice(REGIONS)),
        "typo of a last name": lambda c: search.Filters(q=_typo(c.choice(LAST), c)),
        "code prefix": lambda c: search.Filters(
            q=f"AG-{c.randrange(max(1, size // 100)):05d}"),
        "licenses expiring in 30 days + region": lambda c: search.Filters(
            region=c.choice(REGIONS), license_expiring_within_days=30),
        "a manager's direct reports": lambda c: search.Filters(manager_id=c.choice(managers)),
    }


def _url(filters: search.Filters) -> str:
    params = {k: v for k, v in vars(filters).items() if v is not None}
    return "/v1/agents?" + urlencode({**params, "limit": PAGE})


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


Read = Callable[[psycopg.AsyncCursor[Any]], Awaitable[Any]]


def _sql(chance: random.Random, chosen: Population, today: date) -> dict[str, Read]:
    """The bare SQL of each read, as the read API sends it."""
    agents, deepest = chosen.agents, chosen.deepest

    async def profile(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute("SELECT document FROM agent_profile WHERE agent_id = %s",
                          (chance.choice(agents),))
        return await cur.fetchall()

    async def chain(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute(
            "SELECT h.revision, m.agent_id, m.agent_code, m.name FROM hierarchy h "
            "LEFT JOIN hierarchy m ON m.agent_id = ANY(h.path) AND m.agent_id <> h.agent_id "
            "WHERE h.agent_id = %s ORDER BY array_position(h.path, m.agent_id)",
            (chance.choice(deepest),))
        return await cur.fetchall()

    async def timeline(cur: psycopg.AsyncCursor[Any]) -> Any:
        await cur.execute("SELECT * FROM timeline WHERE agent_id = %s "
                          "ORDER BY occurred_at DESC, agent_version DESC LIMIT 20",
                          (chance.choice(agents),))
        return await cur.fetchall()

    reads: dict[str, Read] = {"profile": profile, "chain": chain, "timeline": timeline}
    for name, shape in shapes(chosen).items():
        async def found(cur: psycopg.AsyncCursor[Any], shape: Shape = shape) -> Any:
            await cur.execute(*search.query(shape(chance), search.Sort.AGENT_CODE, None,
                                            PAGE + 1, today))
            return await cur.fetchall()
        reads[f"search: {name}"] = found
    return reads


def _paths(chance: random.Random, chosen: Population) -> dict[str, Callable[[], str]]:
    agents, deepest = chosen.agents, chosen.deepest
    paths: dict[str, Callable[[], str]] = {
        "profile": lambda: f"/v1/agents/{chance.choice(agents)}",
        "chain": lambda: f"/v1/agents/{chance.choice(deepest)}/hierarchy",
        "timeline": lambda: f"/v1/agents/{chance.choice(agents)}/timeline?limit=20",
    }
    for name, shape in shapes(chosen).items():
        paths[f"search: {name}"] = partial(_search_url, shape, chance)
    return paths


def _search_url(shape: Shape, chance: random.Random) -> str:
    return _url(shape(chance))


async def run_once(settings: Settings, chosen: Population, concurrency: int,
                   seconds: float, port: int) -> dict[str, dict[str, float]]:
    """One round of every measurement."""
    chance = random.Random()
    token = issue_token(settings.jwt_secret.get_secret_value(), "bench", Role.VIEWER, 3600)
    results: dict[str, dict[str, float]] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
        for name, path in _paths(chance, chosen).items():
            async def get(path: Callable[[], str] = path, base: int = port) -> None:
                async with http.get(f"http://127.0.0.1:{base}{path()}") as response:
                    await response.read()
                    assert response.status == 200, response.status
            results[f"HTTP {name}"] = await measure(get, concurrency, seconds)

        async def constant() -> None:
            async with http.get(f"http://127.0.0.1:{port + 1}/constant") as response:
                await response.read()
        results["HTTP FastAPI constant"] = await measure(constant, concurrency, seconds)

    headers = {"Authorization": f"Bearer {token}"}
    results["wrk search status=ACTIVE, 50 connections"] = wrk.run(
        f"http://127.0.0.1:{port}/v1/agents?status=ACTIVE", headers, 50, seconds)
    results["wrk FastAPI constant, 50 connections"] = wrk.run(
        f"http://127.0.0.1:{port + 1}/constant", headers, 50, seconds)
    if settings.store is Store.POSTGRES:
        results |= await _baselines(settings, chosen, chance, concurrency, seconds)
    return results


async def _baselines(settings: Settings, chosen: Population, chance: random.Random,
                     concurrency: int, seconds: float) -> dict[str, dict[str, float]]:
    """A Redis GET of a profile document, and the bare SQL of each read."""
    results: dict[str, dict[str, float]] = {}
    client = aioredis.Redis.from_url(settings.redis_url, max_connections=concurrency)
    key = f"{settings.redis_prefix}:{cache_marks.PROFILE}"

    async def redis_get() -> None:
        await client.get(f"{key}:{chance.choice(chosen.agents)}")
    results["Redis GET profile"] = await measure(redis_get, concurrency, seconds)
    await client.aclose()

    conns = [await psycopg.AsyncConnection.connect(settings.read_models_conninfo(),
                                                   autocommit=True)
             for _ in range(concurrency)]
    free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)
    for name, query in _sql(chance, chosen, date.today()).items():
        async def bare(query: Read = query) -> None:
            conn = await free.get()
            try:
                await query(conn.cursor())
            finally:
                free.put_nowait(conn)
        results[f"SQL {name}"] = await measure(bare, concurrency, seconds)
    for conn in conns:
        await conn.close()
    return results


def main() -> None:
    """Seed (or reuse), serve, measure `--runs` times, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="read API worker processes")
    parser.add_argument("--fresh", action="store_true", help="seed again even if seeded")
    parser.add_argument("--store", type=Store, default=Store.POSTGRES,
                        help="postgres (the server stack) or sqlite (the embedded default)")
    args = parser.parse_args()
    wrk.ensure()
    port = 8611
    schema = f"bench_reads_{args.agents}"
    settings = settings_for(schema).model_copy(update={
        "store": args.store, "data_dir": ROOT / ".bench" / schema,
        "transport": Transport.LOG, "redis_prefix": schema, "rate_limits": False})
    print(f"{args.agents:,} agents on {args.store.value} ({schema})", flush=True)
    chosen = seeded(settings, args.agents, fresh=args.fresh)
    env = settings.model_copy(update={"log_level": "WARNING"}).environment()
    api = _serve([sys.executable, "-m", "roster", "readapi", "--port", str(port),
                  "--workers", str(args.workers)], env, port)
    constant = _serve([sys.executable, "-m", "uvicorn", "bench.constant_app:app",
                       "--port", str(port + 1), "--workers", str(args.workers),
                       "--log-level", "warning", "--no-access-log"], env, port + 1)
    try:
        runs = [asyncio.run(run_once(settings, chosen, args.concurrency, args.seconds, port))
                for _ in range(args.runs)]
    finally:
        api.terminate()
        constant.terminate()
        api.wait()
        constant.wait()
    _print(runs, args)


def _print(runs: list[dict[str, dict[str, float]]], args: argparse.Namespace) -> None:
    print(f"\n{args.agents} agents on {args.store.value}, concurrency {args.concurrency}, "
          f"{args.workers} API workers, {args.seconds:g}s each, median of {args.runs} runs")
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
