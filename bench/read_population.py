"""The read benchmarks' population: agents in a hierarchy eight levels deep, onboarded, licensed
and approved, fed through every projection as the log feed would deliver them.

The population is a function of its size alone (ids and names drawn from one seeded random
source), so a schema seeded once is reused by later runs (`seeded`), and the projections are
fed by several processes at once, each a share of them, from the same events.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial
from typing import Any
from uuid import UUID

import psycopg
import redis

from consumers.applier import Delivery
from consumers.redis_refresh import RedisRefresh
from projections import cache_marks
from projections.catalog import CACHED
from projections.db import Cursor
from projections.envelope import Envelope
from roster import demo, pipeline
from roster.demo import FIRST, LAST
from roster.settings import Settings, Store
from tests.conftest import drop_schemas

REGIONS = [region.value for region in demo.OFFICES]
BATCH = 3000
"""Events applied per transaction while seeding."""
SEEDED = "bench_seeded"
"""What marks a population seeded whole: a table in the base schema, a file in the SQLite
data folder."""
WARM = {"agent_profile": f"SELECT '{cache_marks.PROFILE}:' || agent_id FROM agent_profile",
        "hierarchy": f"SELECT '{cache_marks.CHAIN}:' || agent_id FROM hierarchy"}
"""The Redis documents of each cached projection, as keys to mark for a refill."""


@dataclass(frozen=True)
class Population:
    """The ids of each level of the hierarchy, the top first."""

    levels: list[list[UUID]]

    @cached_property
    def agents(self) -> list[UUID]:
        """Every agent (listed once)."""
        return [a for level in self.levels for a in level]

    @cached_property
    def managers(self) -> list[UUID]:
        """The agents with reports (every level but the last)."""
        return [a for level in self.levels[:-1] for a in level]

    @property
    def deepest(self) -> list[UUID]:
        """The agents of the last non-empty level (the longest manager chains)."""
        return [level for level in self.levels if level][-1]


def _sizes(agents: int) -> list[int]:
    sizes = [max(1, agents // 10_000)]
    while len(sizes) < demo.LEVELS - 1:
        sizes.append(sizes[-1] * 4)
    sizes.append(max(0, agents - sum(sizes)))
    return sizes


def _uuid(chance: random.Random) -> UUID:
    return UUID(int=chance.getrandbits(128), version=4)


def _events(chance: random.Random, agent_id: UUID, n: int, manager: UUID | None,
            position: int) -> list[Envelope]:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    onboarded = {"agent_code": f"AG-{n:07d}", "first_name": chance.choice(FIRST),
                 "last_name": chance.choice(LAST), "agent_type": "INDIVIDUAL",
                 "office_code": f"OF{n % 50:02d}", "region": chance.choice(REGIONS),
                 "email": f"a{n}@example.com", "phone": "9876543210", "pan": "XXXXX1234X",
                 "aadhaar": "XXXXXXXX1234", "bank_account": None,
                 "date_of_joining": "2025-01-01",
                 "manager_id": str(manager) if manager else None}
    expires = (date.today() + timedelta(days=chance.randint(1, 900))).isoformat()
    licensed = {"license": {"number": f"LIC-{n:07d}", "license_type": "LIFE",
                            "issued_on": "2025-01-01", "expires_on": expires,
                            "revoked_on": None}}
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("Onboarded", onboarded), ("LicenseAdded", licensed), ("Approved", {})]
    return [Envelope(_uuid(chance), kind, agent_id, version, position + version, at, "bench",
                     "bench", "job", payload)
            for version, (kind, payload) in enumerate(payloads, start=1)]


def _batches(agents: int, levels: list[list[UUID]]) -> Iterator[list[Envelope]]:
    """The population's events in batches, level by level; fills `levels` as it goes."""
    chance = random.Random(5)
    position, n = 0, 0
    for size in _sizes(agents):
        managers = levels[-1] if levels else []
        level: list[UUID] = []
        levels.append(level)
        batch: list[Envelope] = []
        for _ in range(size):
            agent_id = _uuid(chance)
            manager = chance.choice(managers) if managers else None
            batch += _events(chance, agent_id, n, manager, position)
            level.append(agent_id)
            position += 3
            n += 1
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def population(agents: int) -> Population:
    """The ids of a population of `agents`, without feeding anything."""
    levels: list[list[UUID]] = []
    for _ in _batches(agents, levels):
        pass
    return Population(levels)


def _feed(settings: Settings, names: list[str], agents: int) -> float:
    """Feed the projections `names` the whole population (in a process of its own); the
    seconds it took."""
    started = time.perf_counter()
    store = pipeline.generations(settings)
    appliers = [pipeline.applier(settings, store, p, "log") for p in pipeline.projections(names)]
    for batch in _batches(agents, []):
        deliveries = [Delivery.of(0, e.position, e) for e in batch]
        for applier in appliers:
            applier.apply(deliveries)
    for applier in appliers:
        applier.close()
    return time.perf_counter() - started


def _is_seeded(settings: Settings) -> bool:
    if settings.store is Store.SQLITE:
        return (settings.data_dir / SEEDED).exists()
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                            (f'"{settings.postgres_schema}".{SEEDED}',)).fetchone() == (True,)


def _drop(settings: Settings) -> None:
    if settings.store is Store.SQLITE:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        settings.data_dir.mkdir(parents=True)
        return
    drop_schemas(settings)
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{settings.postgres_schema}"')


def _mark_seeded(settings: Settings) -> None:
    if settings.store is Store.SQLITE:
        (settings.data_dir / SEEDED).touch()
        return
    with psycopg.connect(settings.read_models_conninfo(), autocommit=True) as conn:
        conn.execute("ANALYZE")
        conn.execute(f'CREATE TABLE "{settings.postgres_schema}".{SEEDED} ()')


def seeded(settings: Settings, agents: int, processes: int = 2,
           fresh: bool = False) -> Population:
    """The population of `agents` in the read models of `settings` (on PostgreSQL with their
    documents in Redis; on SQLite in the files of its data folder): reused when an earlier
    run seeded them whole, else seeded now by `processes` processes (a share of the
    projections each)."""
    chosen = population(agents)
    if fresh or not _is_seeded(settings):
        _drop(settings)
        _seed(settings, agents, processes)
        _mark_seeded(settings)
    else:
        print(f"  reusing the {agents:,} agents seeded before", flush=True)
    if settings.store is Store.POSTGRES and not _in_redis(settings, chosen):
        _warm(settings)
    return chosen


def _seed(settings: Settings, agents: int, processes: int) -> None:
    names = [p.name for p in pipeline.projections()]
    shares = [names[i::processes] for i in range(processes)]
    started = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        took = list(pool.map(_feed, [settings] * processes, shares, [agents] * processes))
    print(f"  fed {agents:,} agents to {len(names)} projections in "
          f"{time.perf_counter() - started:.0f}s ({', '.join(f'{t:.0f}s' for t in took)})",
          flush=True)


def _in_redis(settings: Settings, chosen: Population) -> bool:
    sample = random.Random(1).sample(chosen.agents, min(50, len(chosen.agents)))
    client = redis.Redis.from_url(settings.redis_url)
    with closing(client):
        found = client.exists(*(f"{settings.redis_prefix}:{cache_marks.profile_key(a)}"
                                for a in sample))
    return int(found) == len(sample)


def _execute(statement: str, cur: Cursor) -> None:
    cur.execute(statement)


def _warm(settings: Settings) -> None:
    """Mark every cached document and copy them all to Redis."""
    started = time.perf_counter()
    store = pipeline.generations(settings)
    for name, keys in WARM.items():
        marking = f"INSERT INTO cache_marks (key) {keys} ON CONFLICT DO NOTHING"
        with closing(store.live(name)) as database:
            database.run(partial(_execute, marking))
    refresh = RedisRefresh([store.live(name) for name in CACHED],
                           pipeline.document_cache(settings), 5000)
    with closing(refresh):
        copied = refresh.sync()
    print(f"  copied {copied:,} documents to Redis in {time.perf_counter() - started:.0f}s",
          flush=True)
