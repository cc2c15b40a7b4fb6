"""Snapshots: read-only generations of some projections folded from the log up to a moment,
kept under a name (`projection_snapshots`, `snapshot_generations`, beside the registry, made
with it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from projections.db import Cursor
from projections.generations import Generation, State, listed

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""What a snapshot may be called: lower-case letters, digits, `-` and `_`."""


@dataclass(frozen=True)
class Snapshot:
    """One snapshot as the registry holds it."""

    name: str
    as_of: datetime
    position: int
    """The last log position of an event it holds."""
    created_by: str
    created_at: datetime
    ready: bool
    """False while it is built (or when its build was killed)."""
    generations: list[Generation]

    @property
    def projections(self) -> list[str]:
        """The projections it holds."""
        return [g.projection for g in self.generations]


def all_snapshots(cur: Cursor, name: str | None = None) -> list[Snapshot]:
    """Every snapshot (or the one called `name`), by name."""
    only = {"name": name}
    cur.execute("SELECT name, projection, generation FROM snapshot_generations "
                "WHERE %(name)s::text IS NULL OR name = %(name)s", only)
    numbers: dict[str, list[tuple[str, int]]] = {}
    for held_by, projection, number in cur.fetchall():
        numbers.setdefault(held_by, []).append((projection, int(number)))
    held = {(g.projection, g.number): g for g in listed(cur) if g.state is State.SNAPSHOT}
    cur.execute("SELECT name, as_of, position, created_by, created_at, ready "
                "FROM projection_snapshots WHERE %(name)s::text IS NULL OR name = %(name)s "
                "ORDER BY name", only)
    return [Snapshot(called, as_of, int(position), by, at, bool(ready),
                     [held[k] for k in sorted(numbers.get(called, [])) if k in held])
            for called, as_of, position, by, at, ready in cur.fetchall()]


def find(cur: Cursor, name: str) -> Snapshot | None:
    """The snapshot called `name`, if any."""
    found = all_snapshots(cur, name)
    return found[0] if found else None


def begin(cur: Cursor, name: str, as_of: datetime, created_by: str) -> None:
    """Register a snapshot about to be built."""
    cur.execute("INSERT INTO projection_snapshots (name, as_of, created_by) VALUES (%s, %s, %s)",
                (name, as_of, created_by))


def hold(cur: Cursor, name: str, held: list[Generation]) -> None:
    """Record that the generations `held` belong to the snapshot `name`."""
    cur.executemany("INSERT INTO snapshot_generations (name, projection, generation) "
                    "VALUES (%s, %s, %s)", [(name, g.projection, g.number) for g in held])


def finish(cur: Cursor, name: str, position: int) -> None:
    """Mark the snapshot built, holding the log up to `position`."""
    cur.execute("UPDATE projection_snapshots SET ready = true, position = %s WHERE name = %s",
                (position, name))


def forget(cur: Cursor, name: str) -> None:
    """Remove the snapshot from the registry (its generations' rows too; their tables are the
    caller's to drop)."""
    cur.execute("DELETE FROM projection_generations WHERE state = 'snapshot' AND EXISTS ("
                "SELECT 1 FROM snapshot_generations s WHERE s.name = %s "
                "AND s.projection = projection_generations.projection "
                "AND s.generation = projection_generations.generation)", (name,))
    cur.execute("DELETE FROM snapshot_generations WHERE name = %s", (name,))
    cur.execute("DELETE FROM projection_snapshots WHERE name = %s", (name,))
