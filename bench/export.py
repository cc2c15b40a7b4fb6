"""Exports: a bulk-seeded agent summary written to CSV and NDJSON by the export worker (its own
process, as `roster exports worker` runs), beside PostgreSQL's own `COPY (SELECT ...) TO STDOUT`
of the same rows to a file as the ceiling; the worker's peak memory at two row counts; and the
read API's profile p95 while an export runs against its p95 without one, in the same run.

    .venv/bin/python -m bench.export --agents 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench.read_latency import _serve, measure
from bench.read_population import seeded
from bench.write_throughput import fresh_schema
from projections import export_runs, exports, search
from roster import pipeline
from roster.settings import Settings, Transport
from webkit.auth import Role, issue_token

_BULK = """
INSERT INTO agent_summary (agent_id, agent_code, first_name, last_name, agent_type, office_code,
    region, email, phone, pan, status, manager_id, date_of_joining, licenses, next_expiry,
    reports, version, position, onboarded_at, updated_at)
SELECT gen_random_uuid(), 'BK-' || lpad(n::text, 8, '0'), 'First' || (n %% 997),
    'Last' || (n %% 1009), 'INDIVIDUAL', 'OF' || lpad((n %% 50)::text, 2, '0'),
    (ARRAY['NORTH', 'SOUTH', 'EAST', 'WEST', 'CENTRAL'])[1 + n %% 5], 'b' || n || '@example.com',
    '9876543210', 'XXXXX1234X', 'ACTIVE', NULL, DATE '2025-01-01',
    jsonb_build_object('LIC-B' || n, jsonb_build_object('license_type', 'LIFE',
        'issued_on', '2025-01-01', 'expires_on', '2029-01-01', 'revoked_on', NULL)),
    DATE '2029-01-01', 0, 3, 10000000 + n, now(), now()
FROM generate_series(1, %s) AS n
"""


def bulk(settings: Settings, agents: int) -> None:
    """`agents` more summary rows, straight into the live table."""
    with psycopg.connect(settings.read_models_conninfo(), autocommit=True) as conn:
        conn.execute(_BULK, (agents,))
        conn.execute("ANALYZE agent_summary")


def ceiling(settings: Settings, definition: exports.Definition, folder: Path) -> float:
    """Seconds PostgreSQL's COPY of the definition's rows takes to a file."""
    began = time.perf_counter()
    with psycopg.connect(settings.read_models_conninfo()) as conn, \
            (folder / "copy.out").open("wb") as out, \
            conn.cursor().copy(*exports.copy_query(definition, date.today())) as copy:
        for chunk in copy:
            out.write(chunk)
    return time.perf_counter() - began


def queue(settings: Settings, definition: exports.Definition) -> uuid.UUID:
    """A run of `definition`, queued."""
    run_id = uuid.uuid4()
    registry = pipeline.generations(settings).registry
    try:
        registry.run(lambda cur: export_runs.enqueue(cur, run_id, None, definition, "bench",
                                                     None, datetime.now(UTC)))
    finally:
        registry.close()
    return run_id


def work(settings: Settings, nice: int | None = None, cap: int = 0) -> subprocess.Popen[str]:
    """A worker process that takes one run and reports its seconds and peak memory (at the
    settings' CPU niceness, or `nice`; paced to `cap` rows a second if given)."""
    niceness = settings.export_nice if nice is None else nice
    return subprocess.Popen([sys.executable, "-m", "bench.export", "--one"],
                            env={**settings.environment(), "ROSTER_EXPORT_NICE": str(niceness),
                                 "ROSTER_EXPORT_ROWS_PER_SECOND": str(cap)},
                            stdout=subprocess.PIPE, text=True)


def started(settings: Settings, run_id: uuid.UUID) -> None:
    """Wait until a worker has taken the run."""
    with psycopg.connect(settings.read_models_conninfo(), autocommit=True) as conn:
        while conn.execute("SELECT state FROM export_runs WHERE id = %s",
                           (run_id,)).fetchone() == ("queued",):
            time.sleep(0.02)


def one() -> None:
    """Take one queued run; print its seconds, rows and the process's peak resident MB."""
    settings = Settings()
    os.nice(settings.export_nice)
    worker = pipeline.export_worker(settings)
    began = time.perf_counter()
    assert worker.work_once()
    seconds = time.perf_counter() - began
    peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text()
                .splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024}))


def timed(settings: Settings, definition: exports.Definition) -> dict[str, float]:
    """One export by a worker process."""
    queue(settings, definition)
    done = work(settings)
    out, _ = done.communicate()
    return dict(json.loads(out.strip().splitlines()[-1]))


async def profile_p95(port: int, token: str, agents: list[Any], seconds: float) -> float:
    """The read API's profile p95 (ms) over `seconds` at concurrency 8."""
    chance = random.Random(1)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async def get() -> None:
            async with http.get(f"http://127.0.0.1:{port}/v1/agents/"
                                f"{chance.choice(agents)}") as response:
                await response.read()
                assert response.status == 200, response.status
        return (await measure(get, 8, seconds))["p95"]


def main() -> None:
    """Seed, measure `--runs` times, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=int, default=100_000,
                        help="rows a second of the capped export (ROSTER_EXPORT_ROWS_PER_SECOND)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one()
        return
    port = 8621
    with fresh_schema() as base, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = base.model_copy(update={
            "transport": Transport.LOG, "redis_prefix": base.postgres_schema,
            "exports_dir": folder / "exports", "rate_limits": False, "log_level": "WARNING"})
        print(f"seeding agents through every projection, then up to {args.agents} summary rows",
              flush=True)
        profiles = seeded(settings, 2000).agents
        bulk(settings, args.agents - len(profiles))
        every = exports.Definition()
        fifth = exports.Definition(search.Filters(region="WEST"))
        api = _serve([sys.executable, "-m", "roster", "readapi", "--port", str(port)],
                     settings.environment(), port)
        token = issue_token(settings.jwt_secret.get_secret_value(), "bench", Role.VIEWER, 3600)
        rows: list[dict[str, float]] = []
        try:
            for n in range(args.runs):
                row: dict[str, float] = {}
                for fmt in (exports.Format.CSV, exports.Format.NDJSON):
                    definition = exports.Definition(format=fmt)
                    row[f"copy {fmt}"] = ceiling(settings, definition, folder)
                    found = timed(settings, definition)
                    row[f"worker {fmt}"] = found["seconds"]
                    row[f"peak {fmt}"] = found["peak_mb"]
                row["peak csv fifth"] = timed(settings, fifth)["peak_mb"]
                row["p95 idle"] = asyncio.run(profile_p95(port, token, profiles, 3.0))
                for label, nice, cap in (("p95 export", None, 0), ("p95 export nice 0", 0, 0),
                                         ("p95 export capped", None, args.cap)):
                    busy_run = queue(settings, every)
                    busy = work(settings, nice, cap)
                    started(settings, busy_run)
                    row[label] = asyncio.run(profile_p95(port, token, profiles, 3.0))
                    out, _ = busy.communicate()
                    row[f"{label} seconds"] = json.loads(out.strip().splitlines()[-1])["seconds"]
                rows.append(row)
                print(f"  run {n + 1}: {row}", flush=True)
        finally:
            api.terminate()
            api.wait()
    _print(rows, args.agents, args.cap)


def _print(rows: list[dict[str, float]], agents: int, cap: int) -> None:
    m = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"\n{agents} agents (summary), median of {len(rows)} runs")
    print("| export | seconds | rows/s | rows/s vs COPY | worker peak MB |")
    print("|---|---:|---:|---:|---:|")
    for fmt in ("csv", "ndjson"):
        print(f"| COPY (SELECT ...) TO STDOUT, {fmt} text | {m[f'copy {fmt}']:.2f} | "
              f"{agents / m[f'copy {fmt}']:,.0f} | 1.00 | - |")
        print(f"| worker, {fmt} | {m[f'worker {fmt}']:.2f} | {agents / m[f'worker {fmt}']:,.0f}"
              f" | {m[f'copy {fmt}'] / m[f'worker {fmt}']:.2f} | {m[f'peak {fmt}']:.0f} |")
    print(f"| worker, csv, one region (a fifth of the rows) | - | - | - | "
          f"{m['peak csv fifth']:.0f} |")
    print("\n| read API profile, concurrency 8 | p95 ms | vs no export | export rows/s |")
    print("|---|---:|---:|---:|")
    print(f"| no export | {m['p95 idle']:.2f} | 1.00 | - |")
    for label, key in (("during a csv export, worker at nice 10 (the default)", "p95 export"),
                       ("during a csv export, worker at nice 0", "p95 export nice 0"),
                       (f"during a csv export capped at {cap:,} rows/s", "p95 export capped")):
        print(f"| {label} | {m[key]:.2f} | {m[key] / m['p95 idle']:.2f} | "
              f"{agents / m[f'{key} seconds']:,.0f} |")


if __name__ == "__main__":
    main()
