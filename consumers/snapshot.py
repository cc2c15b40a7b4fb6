"""Snapshot jobs: named, read-only generations folded from the log up to a moment, by the
rebuild's machinery, with its progress.

A snapshot at time T holds, for every agent, its events that occurred at or before T (each
agent's history is a prefix: after its first event past T, none of its later ones count). The
log is read to the head it had when the job began; events written after that occurred after T.
A job killed midway leaves a snapshot that is not ready (the read API refuses it); creating it
again starts it over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from consumers.database import DDL_LOCK
from consumers.generations import Generations
from consumers.log import EventLog
from consumers.rebuild import Rebuild, Span, leased
from projections import snapshots
from projections.db import Cursor
from projections.envelope import Envelope
from projections.generations import State
from projections.projection import Projection
from projections.snapshots import Snapshot


class SnapshotRefused(ValueError):
    """A snapshot that cannot be made as asked: a bad name, a name taken, a future moment."""


class Prefix:
    """Admits each agent's events up to its last at or before a moment, and remembers the
    position of the last one admitted."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment
        self._cut: set[UUID] = set()
        self.position = 0

    def __call__(self, envelope: Envelope) -> bool:
        """Whether `envelope` belongs to the snapshot."""
        if envelope.agent_id in self._cut:
            return False
        if envelope.occurred_at > self._moment:
            self._cut.add(envelope.agent_id)
            return False
        self.position = max(self.position, envelope.position)
        return True


class Snapshots:
    """Creates and drops snapshots in one read-model store."""

    def __init__(self, events: EventLog, store: Generations, rebuild: Rebuild,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._log = events
        self._store = store
        self._rebuild = rebuild
        self._now = now

    def create(self, name: str, as_of: datetime, projections: Sequence[Projection],
               created_by: str) -> Snapshot:
        """Fold `projections` up to `as_of` into new generations held as the snapshot `name`;
        the snapshot. `SnapshotRefused` for a bad name or moment or a name taken by a ready
        snapshot; `RebuildUnderWay` when another process is creating it."""
        if not snapshots.NAME.match(name):
            raise SnapshotRefused(f"{name!r}: a snapshot's name is lower-case letters, digits, "
                                  "'-' and '_' (at most 63)")
        if as_of.tzinfo is None or as_of > self._now():
            raise SnapshotRefused("the moment must be in the past, with a time zone")
        with leased(self._store, [f"snapshot.{name}"]):
            return self._create(name, as_of, projections, created_by)

    def _create(self, name: str, as_of: datetime, projections: Sequence[Projection],
                created_by: str) -> Snapshot:
        found = self._store.registry.run(lambda cur: snapshots.find(cur, name))
        if found is not None and found.ready:
            raise SnapshotRefused(f"there is a snapshot {name} already (drop it first)")
        if found is not None:
            self._forget(found)  # its build was killed: start over
        head = self._log.head()
        self._store.registry.run(lambda cur: snapshots.begin(cur, name, as_of, created_by))
        builds = [self._rebuild.fresh(p, State.SNAPSHOT) for p in projections]
        self._store.registry.run(lambda cur: snapshots.hold(
            cur, name, [b.generation for b in builds]))
        prefix = Prefix(as_of)
        try:
            self._rebuild.load(builds, Span(until=head, admits=prefix))
        finally:
            for build in builds:
                build.close()

        def finish(cur: Cursor) -> Snapshot:
            snapshots.finish(cur, name, prefix.position)
            made = snapshots.find(cur, name)
            assert made is not None
            return made
        return self._store.registry.run(finish)

    def drop(self, name: str) -> Snapshot | None:
        """Remove the snapshot `name` and its tables; the one dropped, if any."""
        found = self._store.registry.run(lambda cur: snapshots.find(cur, name))
        if found is not None:
            self._forget(found)
        return found

    def _forget(self, snapshot: Snapshot) -> None:
        self._store.registry.run(lambda cur: snapshots.forget(cur, snapshot.name), DDL_LOCK)
        for generation in snapshot.generations:
            self._store.drop(generation)
