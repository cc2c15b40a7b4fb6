"""Generations: each projection's tables belong to a numbered generation.

A projection has at most one live generation (the one reads go to and the running consumers
feed) and at most one being built beside it; a generation may also be kept after it was
replaced, for comparison. The registry (`projection_generations`) records them, written in the
same SQL on PostgreSQL and SQLite.

Where a generation's tables live is the store's business (a schema per generation on
PostgreSQL, a file per generation on SQLite); this module names them and keeps the registry,
and, for a bulk load, sets a generation's secondary indexes aside and makes them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from projections import export_runs
from projections.db import Cursor, StoreKind, store_of


class State(StrEnum):
    """Where a generation stands."""

    BUILDING = "building"
    LIVE = "live"
    KEPT = "kept"
    """Replaced by a newer one, and kept (`roster rebuild --keep`) for comparison."""
    VERIFYING = "verifying"
    """Folded from the log to compare with the live one (`roster verify`), then dropped."""
    SNAPSHOT = "snapshot"
    """Folded from the log up to a moment and kept, read-only, under a snapshot's name."""


@dataclass(frozen=True, slots=True)
class Generation:
    """One generation of one projection, as the registry holds it."""

    projection: str
    number: int
    version: int
    state: State
    started_at: datetime
    switched_at: datetime | None
    position: int
    """How far it has applied the log (kept up to date while it is built)."""
    target: int
    """The log's head when its progress was last recorded."""
    rate: float
    """Events per second over the build so far."""


REGISTRY_DDL = """
CREATE TABLE IF NOT EXISTS projection_generations (
    projection text NOT NULL,
    generation integer NOT NULL,
    version integer NOT NULL,
    state text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    switched_at timestamptz,
    position bigint NOT NULL DEFAULT 0,
    target bigint NOT NULL DEFAULT 0,
    rate double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (projection, generation)
);
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_live
    ON projection_generations (projection) WHERE state = 'live';
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_building
    ON projection_generations (projection) WHERE state = 'building';
CREATE TABLE IF NOT EXISTS projection_snapshots (
    name text PRIMARY KEY,
    as_of timestamptz NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ready boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS snapshot_generations (
    name text NOT NULL,
    projection text NOT NULL,
    generation integer NOT NULL,
    PRIMARY KEY (name, projection)
);
CREATE TABLE IF NOT EXISTS projection_verifications (
    projection text PRIMARY KEY,
    checked_at timestamptz NOT NULL,
    differences bigint NOT NULL,
    report text NOT NULL
);
"""

_COLUMNS = ("projection, generation, version, state, started_at, switched_at, position, "
            "target, rate")

BOOKKEEPING = frozenset({"projection_tracking", "dead_letters", "cache_marks",
                         "deferred_indexes", "generation_state"})
"""Tables every generation has of its own that are not read models: served through views over
all live generations (tracking, dead letters) or not at all."""


def create_registry(cur: Cursor) -> None:
    """Create the registry when missing, and the exports' tables beside it."""
    cur.execute(REGISTRY_DDL)
    cur.execute(export_runs.DDL)


def _generation(row: Any) -> Generation:
    projection, number, version, state, started, switched, position, target, rate = row
    return Generation(projection, int(number), int(version), State(state), started, switched,
                      int(position), int(target), float(rate))


def listed(cur: Cursor, projection: str | None = None) -> list[Generation]:
    """Every generation in the registry (of `projection` if given), by projection and number."""
    cur.execute(f"SELECT {_COLUMNS} FROM projection_generations "  # noqa: S608
                "WHERE %(p)s::text IS NULL OR projection = %(p)s "
                "ORDER BY projection, generation", {"p": projection})
    return [_generation(row) for row in cur.fetchall()]


def in_state(cur: Cursor, projection: str, state: State) -> Generation | None:
    """`projection`'s generation in `state` (live or building), if it has one."""
    found = [g for g in listed(cur, projection) if g.state is state]
    return found[0] if found else None


def add(cur: Cursor, projection: str, version: int, state: State) -> Generation:
    """Register the next generation of `projection` in `state`."""
    cur.execute("SELECT COALESCE(max(generation), 0) + 1 FROM projection_generations "
                "WHERE projection = %s", (projection,))
    number = int(cur.fetchone()[0])
    cur.execute("INSERT INTO projection_generations (projection, generation, version, state) "
                "VALUES (%s, %s, %s, %s)", (projection, number, version, state.value))
    made = [g for g in listed(cur, projection) if g.number == number]
    return made[0]


def record_progress(cur: Cursor, generation: Generation, position: int, target: int,
                    rate: float) -> None:
    """Record how far a generation being built has got."""
    cur.execute("UPDATE projection_generations SET position = %s, target = %s, rate = %s "
                "WHERE projection = %s AND generation = %s",
                (position, target, rate, generation.projection, generation.number))


class NotBuilding(LookupError):
    """A generation about to go live is no longer being built (its rebuild was aborted)."""


def promote(cur: Cursor, new: Generation, keep_old: bool) -> Generation | None:
    """Make `new`, being built, the live generation; the one it replaces is kept or forgotten
    (its tables are the caller's to drop). The replaced generation, if any."""
    building = in_state(cur, new.projection, State.BUILDING)
    if building is None or building.number != new.number:
        raise NotBuilding(f"{new.projection} generation {new.number} is not being built")
    old = in_state(cur, new.projection, State.LIVE)
    if old is not None:
        if keep_old:
            cur.execute("UPDATE projection_generations SET state = 'kept' "
                        "WHERE projection = %s AND generation = %s",
                        (old.projection, old.number))
        else:
            forget(cur, old)
    cur.execute("UPDATE projection_generations SET state = 'live', "
                "switched_at = CURRENT_TIMESTAMP WHERE projection = %s AND generation = %s",
                (new.projection, new.number))
    return old


def forget(cur: Cursor, generation: Generation) -> None:
    """Remove `generation` from the registry (its tables are the caller's to drop)."""
    cur.execute("DELETE FROM projection_generations WHERE projection = %s AND generation = %s",
                (generation.projection, generation.number))


def schema_name(base: str, projection: str, number: int) -> str:
    """The PostgreSQL schema of one generation, beside the base schema it serves."""
    return f"{base}__{projection}_g{number}"


def file_name(projection: str, number: int) -> str:
    """The SQLite file of one generation, in the read-models folder."""
    return f"{projection}.g{number}.db"


_DEFERRED_DDL = """
CREATE TABLE IF NOT EXISTS deferred_indexes (name text PRIMARY KEY, definition text NOT NULL)
"""

_SECONDARY = {
    StoreKind.POSTGRES: "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = current_schema() "
                        "AND indexdef NOT LIKE 'CREATE UNIQUE %%' AND tablename <> %s",
    StoreKind.SQLITE: "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                      "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %%' "
                      "AND tbl_name <> %s",
}
"""The secondary (non-unique) indexes of the generation the cursor writes to."""


def defer_indexes(cur: Cursor) -> int:
    """Drop the generation's secondary indexes, recording how to make them again: a bulk load
    then writes only the tables and the unique indexes its upserts need. The number dropped."""
    cur.execute(_DEFERRED_DDL)
    cur.execute(_SECONDARY[store_of(cur)], ("deferred_indexes",))
    found = [(str(name), str(definition)) for name, definition in cur.fetchall()
             if name != "dead_letters_agent"]
    cur.executemany("INSERT INTO deferred_indexes (name, definition) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING", found)
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return len(found)


def restore_indexes(cur: Cursor) -> int:
    """Make again every index `defer_indexes` dropped; the number made."""
    cur.execute(_DEFERRED_DDL)
    cur.execute("SELECT name, definition FROM deferred_indexes ORDER BY name")
    found = cur.fetchall()
    for _, definition in found:
        cur.execute(str(definition))
    cur.execute("DELETE FROM deferred_indexes")
    return len(found)
