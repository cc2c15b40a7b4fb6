"""Verification jobs: each live read model compared with a fresh fold of the log at the very
position the live one has reached, while its consumers keep running.

The fresh generation is folded by the rebuild's machinery up to the lowest position the live
one has applied in every partition. Then, for a moment, the live generation is held still (its
consumers wait on its lock): the fresh one is brought to exactly the live one's marks (each
agent's events up to the mark of the partition its events travel in) and a read snapshot of
both is taken. The consumers resume, and the two are compared in that snapshot. The fresh
generation is dropped afterwards; differences are reported, never fixed here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from consumers import tracking
from consumers.database import DDL_LOCK
from consumers.generations import Frozen, Generations, Handover
from consumers.kafka_io import partition_of
from consumers.log import EventLog
from consumers.rebuild import PAGE, Build, Rebuild, Span, deliveries, leased
from consumers.tracking import LOG, Mark
from projections import generations, verification
from projections.db import Cursor
from projections.envelope import Envelope
from projections.generations import Generation, State
from projections.projection import Projection
from projections.verification import Example, TableCount, Verdict


class Verification:
    """Verifies projections against the log, one verdict each."""

    def __init__(self, events: EventLog, store: Generations, handover: Handover,
                 rebuild: Rebuild) -> None:
        self._log = events
        self._store = store
        self._handover = handover
        self._rebuild = rebuild

    def run(self, projections: Sequence[Projection]) -> list[Verdict]:
        """A verdict for each of `projections`, kept as its last; `RebuildUnderWay` when a
        rebuild (or another verification) of one of them is running."""
        with leased(self._store, [p.name for p in projections]):
            return self._verify(projections)

    def _verify(self, projections: Sequence[Projection]) -> list[Verdict]:
        started = time.monotonic()
        for projection in projections:
            self._check_version(projection)
            self._clear(projection.name)
        builds = [self._rebuild.fresh(p, State.VERIFYING) for p in projections]
        try:
            floor = min(min((m.position for m in self._live_marks(p.name).values()),
                            default=0) for p in projections)
            self._rebuild.load(builds, Span(until=floor))
            verdicts = [self._judge(build, started) for build in builds]
        finally:
            for build in builds:
                build.close()
                self._forget(build.generation)
        return verdicts

    def _check_version(self, projection: Projection) -> None:
        live = self._store.registry.run(lambda cur: generations.in_state(
            cur, projection.name, State.LIVE))
        if live is None or live.version != projection.version:
            raise Unverifiable(
                f"{projection.name}: the live generation is "
                f"{'missing' if live is None else f'of version {live.version}'}, the code's "
                f"is version {projection.version}; let it be rebuilt first")

    def _clear(self, projection: str) -> None:
        """Drop what a verification killed before it finished left behind."""
        stale = self._store.registry.run(lambda cur: [
            g for g in generations.listed(cur, projection) if g.state is State.VERIFYING])
        for generation in stale:
            self._forget(generation)

    def _forget(self, generation: Generation) -> None:
        self._store.registry.run(lambda cur: generations.forget(cur, generation), DDL_LOCK)
        self._store.drop(generation)

    def _live_marks(self, projection: str) -> dict[int, Mark]:
        database = self._store.live(projection)
        try:
            return database.run(lambda cur: tracking.source_marks(
                cur, projection, self._handover.source))
        finally:
            database.close()

    def _judge(self, build: Build, started: float) -> Verdict:
        """Hold the live generation still while the fresh one reaches its marks and a
        snapshot of both is taken; compare them once the consumers have gone on."""
        with contextlib.ExitStack() as stack:
            with self._store.paused(build.name) as (live, cur):
                marks = tracking.source_marks(cur, build.name, self._handover.source)
                self._reach(build, marks)
                view = stack.enter_context(self._store.frozen(live, build.generation))
            verdict = self._compare(build.projection, live, view, build.position, started)
        self._store.registry.run(lambda cur: verification.record(cur, verdict))
        return verdict

    def _reach(self, build: Build, marks: dict[int, Mark]) -> None:
        """Apply to `build` exactly the events the live generation has: each agent's events
        up to the mark of its partition."""
        partitions = self._handover.partitions

        def admits(envelope: Envelope) -> bool:
            partition = 0 if self._handover.source == LOG else partition_of(
                envelope.agent_id, partitions)
            return envelope.position <= marks.get(partition, tracking.NOTHING).position

        span = Span(until=max((m.position for m in marks.values()), default=0), admits=admits)

        def reach(cur: Cursor) -> int:
            after = build.position
            while span.until is not None and after < span.until:
                page = span.of(self._log.read(after, PAGE))
                if page.last_position <= after:
                    break
                build.applier.apply_within(cur, deliveries(page))
                after = page.last_position
            return after
        # one transaction, without the projection's lock (held by the caller)
        build.position = build.applier.database.run(reach)

    @staticmethod
    def _compare(projection: Projection, live: Generation, view: Frozen, position: int,
                 started: float) -> Verdict:
        counts: list[TableCount] = []
        examples: list[Example] = []
        for table in verification.tables(view.cursor, view.other, projection.uncompared):
            count, found = verification.compare(view.cursor, view.live, view.other, table)
            counts.append(count)
            examples += found
        return Verdict(projection.name, live.number, position, datetime.now(UTC),
                       round(time.monotonic() - started, 3), counts, examples)


class Unverifiable(RuntimeError):
    """A projection whose live generation cannot be compared with the code's fold (it is of
    another version, or there is none)."""
