"""Rebuild of all seven projections from a log of `--agents` x 5 events, on PostgreSQL and on
SQLite, and (d) the verification of the rebuilt read models against the log, beside (b) today's
path (fresh appliers fed by the log feed in normal batches, over the first
`--baseline-events`) and (c) the raw rate of reading and decoding the log alone.
Each measurement runs in a process of its own, so its peak memory is its own.

    .venv/bin/python -m bench.rebuild [--agents 200000] [--stores postgres,sqlite]

The log is written straight into the event store in bulk: agents built in the domain (each
reporting to one of the first eighth; onboarded, licensed, approved, renewed, then suspended or
edited) and saved 1,000 at a time, so the setup takes about a minute per store. Half of it is
written first and rebuilt once, to show that a rebuild's memory does not grow with the log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from bench.processes import SECRET
from commands.service import AgentService
from consumers.log import EventLog
from consumers.log_feed import LogFeed
from domain.agent import Agent
from domain.values import Provenance
from roster import pipeline
from roster.settings import Settings, Store, Transport
from roster.wiring import agent_service
from tests.agents import license_, new_agent
from tests.builders import TODAY
from tests.conftest import drop_schemas

BY = Provenance("bench", "bench")
SAVE = 1000


def settings_for(store: Store, where: str) -> Settings:
    """Settings of one measurement: a schema, or a data folder."""
    return Settings(_env_file=None, store=store, transport=Transport.LOG,
                    postgres_schema=where, data_dir=Path(where), jwt_secret=SECRET,
                    hrms_secret=SECRET, encryption_key=SECRET, log_level="WARNING")


def fill(service: AgentService, agents: int, first: int = 1) -> int:
    """Save `agents` agents of five events each straight into the store, numbered from
    `first`; the log's head."""
    chance = random.Random(first)
    ids: list[UUID] = []
    for start in range(first, first + agents, SAVE):
        batch: list[Agent] = []
        for n in range(start, min(start + SAVE, first + agents)):
            manager = ids[chance.randrange(max(1, len(ids) // 8))] if len(ids) > 8 else None
            agent = new_agent(n, manager)
            agent.add_license(license_(f"LIC-{n:07d}"), BY)
            agent.approve(TODAY, BY)
            agent.renew_license(f"LIC-{n:07d}", TODAY + timedelta(days=900), BY)
            if n % 3:
                agent.update({"office_code": f"OF{n % 97:03d}"}, BY)
            else:
                agent.suspend("bench", BY)
            batch.append(agent)
        service.save(*batch)
        ids += [a.id for a in batch]
    return EventLog(service).head()


def measure(phase: str, store: Store, where: str, limit: int) -> dict[str, Any]:
    """One measurement in this process: events, seconds."""
    settings = settings_for(store, where)
    service = agent_service(settings)
    events = EventLog(service)
    head = events.head()
    started = time.perf_counter()
    if phase == "raw":
        after = 0
        while after < head:
            page = events.read(after, 20_000)
            for envelope in page.envelopes:
                _ = envelope.event
            after = page.last_position
    elif phase in ("rebuild", "verify"):
        subprocess.run([sys.executable, "-m", "roster", phase, "--all", "--quiet"],
                       env={**os.environ, **settings.environment()}, check=True,
                       stdout=sys.stderr)
    else:
        feed = LogFeed(_Prefix(events, limit), pipeline.appliers(
            settings, pipeline.projections(), "log"), settings.consumer_batch)
        feed.catch_up()
        head = min(head, limit)
    peak = max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"events": head, "seconds": time.perf_counter() - started, "peak_mb": peak / 1024}


class _Prefix(EventLog):
    """The log cut at a position: today's path is measured on its start only."""

    def __init__(self, events: EventLog, limit: int) -> None:
        self._events = events
        self._limit = limit

    def head(self) -> int:
        """The cut."""
        return min(self._events.head(), self._limit)

    def read(self, after: int, limit: int) -> Any:
        """Pages up to the cut."""
        return self._events.read(after, max(0, min(limit, self._limit - after)))


def run_phase(phase: str, store: Store, where: str, limit: int) -> dict[str, Any]:
    """`measure` in a child process of its own (its peak memory is the child's)."""
    done = subprocess.run([sys.executable, "-m", "bench.rebuild", "--phase", phase,
                           "--store", store.value, "--where", where, "--limit", str(limit)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{done.stdout}\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def wipe_read_models(settings: Settings) -> None:
    """Drop every generation and the registry, so the next path starts from nothing."""
    if settings.store is Store.SQLITE:
        shutil.rmtree(settings.read_models_path.parent, ignore_errors=True)
        return
    base = settings.postgres_schema
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        for (schema,) in conn.execute("SELECT nspname FROM pg_namespace "
                                      "WHERE starts_with(nspname, %s)", (f"{base}__",)):
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(f'DROP TABLE IF EXISTS "{base}".projection_generations')


def bench_store(store: Store, agents: int, baseline: int,
                paths: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Seed a fresh store and measure `paths` on it."""
    where = (f"bench_rebuild_{uuid.uuid4().hex[:8]}" if store is Store.POSTGRES
             else tempfile.mkdtemp(prefix="bench-rebuild-"))
    settings = settings_for(store, where)
    if store is Store.POSTGRES:
        with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{where}"')
    try:
        service = agent_service(settings)
        started = time.perf_counter()
        fill(service, agents // 2, 1)
        results = []
        if "half" in paths:
            half = run_phase("rebuild", store, where, baseline)
            print(f"  rebuild of half the log: {half}", flush=True)
            results.append(("half", half))
            wipe_read_models(settings)
        head = fill(service, agents - agents // 2, agents // 2 + 1)
        service.close()
        print(f"{store.value}: {head:,} events written in {time.perf_counter() - started:.0f}s",
              flush=True)
        for phase in [p for p in ("raw", "today", "rebuild", "verify") if p in paths]:
            found = run_phase(phase, store, where, baseline)
            print(f"  {phase}: {found}", flush=True)
            results.append((phase, found))
            if phase != "rebuild":  # the verification compares the rebuilt generations
                wipe_read_models(settings)
        return results
    finally:
        if store is Store.POSTGRES:
            drop_schemas(settings)
        else:
            shutil.rmtree(where, ignore_errors=True)


LABELS = {"rebuild": "(a) roster rebuild --all", "today": "(b) fresh appliers, log feed",
          "raw": "(c) read and decode the log", "half": "(a) on the first half of the log",
          "verify": "(d) roster verify --all, after (a)"}


def main() -> None:
    """Run every measurement and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=200_000)
    parser.add_argument("--baseline-events", type=int, default=100_000)
    parser.add_argument("--stores", default="postgres,sqlite")
    parser.add_argument("--paths", default="rebuild,verify,today,raw,half",
                        help="Which of them to measure (verify needs rebuild).")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--where", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(measure(args.phase, Store(args.store), args.where, args.limit)))
        return
    paths = args.paths.split(",")
    table = {Store(s): bench_store(Store(s), args.agents, args.baseline_events, paths)
             for s in args.stores.split(",")}
    print(f"\n{args.agents:,} agents x 5 events; (b) over the first {args.baseline_events:,}; "
          "peak MB of the process and its workers")
    print("| store | path | log events | seconds | events/s | vs (b) | vs (a) | peak MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for store, results in table.items():
        rates = {phase: r["events"] / r["seconds"] for phase, r in results}
        for phase in [p for p in ("rebuild", "verify", "today", "raw", "half") if p in rates]:
            r = dict(results)[phase]
            print(f"| {store.value} | {LABELS[phase]} | {r['events']:,} | {r['seconds']:.1f} | "
                  f"{rates[phase]:,.0f} | {_ratio(rates, phase, 'today', 1)} | "
                  f"{_ratio(rates, phase, 'rebuild', 2)} | {r['peak_mb']:.0f} |")


def _ratio(rates: dict[str, float], phase: str, baseline: str, digits: int) -> str:
    return f"{rates[phase] / rates[baseline]:.{digits}f}" if baseline in rates else "-"


if __name__ == "__main__":
    main()
