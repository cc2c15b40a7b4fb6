"""Rebuild jobs: new generations of projections built from the event store's log beside the
live ones, each switched live in one step once it has caught up.

A rebuild is a bulk load. It reads the log (never Kafka) in large pages, decodes each page
once for every projection it builds, and applies the page to each new generation in one
transaction together with that generation's own tracking marks, so a rebuild killed at any
moment resumes from its marks. The new generation's secondary indexes are set aside while it
loads and made again before it catches up in normal batches; the last events are applied
inside the switch itself, while the live consumers wait on the projection's lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from consumers import metrics, tracking
from consumers.applier import Applier, Delivery
from consumers.database import DDL_LOCK
from consumers.generations import CatchUp, Generations, Handover, Release, create_tables
from consumers.log import EventLog, Page
from consumers.tracking import LOG
from projections import generations
from projections.db import Cursor
from projections.envelope import Envelope
from projections.generations import Generation, State
from projections.projection import Projection

log = logging.getLogger(__name__)

PAGE = 20_000
"""Log events read, and applied to each generation, per transaction while loading."""


@dataclass
class Build:
    """One projection's new generation while it is built."""

    projection: Projection
    generation: Generation
    applier: Applier
    started_at: int
    """The position it stood at when this run began (0 for a fresh build)."""
    position: int
    since: float = field(default_factory=time.monotonic)

    @property
    def name(self) -> str:
        """The projection's name."""
        return self.projection.name

    def rate(self) -> float:
        """Log events per second applied by this run."""
        return (self.position - self.started_at) / max(time.monotonic() - self.since, 1e-9)

    def close(self) -> None:
        """Close its connection to the generation's tables."""
        self.applier.database.close()


@dataclass(frozen=True)
class Report:
    """How one projection's build stands, for a progress bar."""

    projection: str
    generation: int
    phase: str
    position: int
    head: int
    rate: float


@dataclass(frozen=True)
class Span:
    """The part of the log a generation folds: every event up to `until` (the whole log when
    None) that `admits` lets in."""

    until: int | None = None
    admits: Callable[[Envelope], bool] | None = None

    def of(self, page: Page) -> Page:
        """`page` cut to the span."""
        envelopes = page.envelopes
        last = page.last_position
        if self.until is not None and last > self.until:
            envelopes = [e for e in envelopes if e.position <= self.until]
            last = self.until
        if self.admits is not None:
            envelopes = [e for e in envelopes if self.admits(e)]
        return Page(envelopes, last)


WHOLE_LOG = Span()


def deliveries(page: Page) -> list[Delivery]:
    """A page of the log as one partition's deliveries, ending with a watermark at its last
    position (so marks move past events that are not an agent's)."""
    made = [Delivery.of(0, e.position, e) for e in page.envelopes]
    if not made or made[-1].position < page.last_position:
        made.append(Delivery(0, page.last_position, page.last_position))
    return made


class RebuildUnderWay(RuntimeError):
    """Another process is rebuilding the projection named."""


@contextlib.contextmanager
def leased(store: Generations, names: Sequence[str]) -> Iterator[None]:
    """The leases of `names` (projections, or other jobs' keys) held for the block;
    `RebuildUnderWay` when another process holds one of them."""
    releases: list[Release] = []
    try:
        for name in names:
            release = store.lease(name)
            if release is None:
                raise RebuildUnderWay(name)
            releases.append(release)
        yield
    finally:
        for release in releases:
            release()


class Rebuild:
    """Builds, catches up and switches new generations of some projections."""

    def __init__(self, events: EventLog, store: Generations, handover: Handover,
                 page: int = PAGE, keep: bool = False,
                 report: Callable[[Report], None] = lambda _: None,
                 switched: Callable[[Generation], None] = lambda _: None) -> None:
        self._log = events
        self._store = store
        self._handover = handover
        self._page = page
        self._keep = keep
        self._report = report
        self._switched = switched

    def run(self, projections: Sequence[Projection]) -> list[Generation]:
        """Build a new generation of each of `projections` (resuming one already under way)
        and make it live; the generations made live. `RebuildUnderWay` when another process
        rebuilds one of them."""
        with leased(self._store, [p.name for p in projections]):
            return self._rebuild(projections)

    def _rebuild(self, projections: Sequence[Projection]) -> list[Generation]:
        builds = [self.start(p) for p in projections]
        try:
            self.load(builds)
            return [self._switch(build) for build in builds]
        finally:
            for build in builds:
                build.close()

    def start(self, projection: Projection) -> Build:
        """The generation of `projection` under way, or a new one with its tables made and
        its secondary indexes set aside."""
        def claim(cur: Cursor) -> tuple[Generation, bool]:
            found = generations.in_state(cur, projection.name, State.BUILDING)
            if found is not None and found.version == projection.version:
                return found, False
            if found is not None:
                generations.forget(cur, found)
                self._store.drop(found)
            return generations.add(cur, projection.name, projection.version,
                                   State.BUILDING), True
        generation, fresh = self._store.registry.run(claim, DDL_LOCK)
        return self._prepared(projection, generation, fresh)

    def fresh(self, projection: Projection, state: State) -> Build:
        """A new generation of `projection` in `state` (a verification's, a snapshot's),
        its tables made and its secondary indexes set aside."""
        generation = self._store.registry.run(lambda cur: generations.add(
            cur, projection.name, projection.version, state), DDL_LOCK)
        return self._prepared(projection, generation, True)

    def _prepared(self, projection: Projection, generation: Generation, fresh: bool) -> Build:
        database = self._store.bound(generation)
        if fresh:
            self._store.drop(generation)  # whatever an aborted build of that number left
            self._store.make_room(generation)
            create_tables(database, projection)
            database.run(generations.defer_indexes, DDL_LOCK)
        applier = Applier(database, projection, LOG)
        position = applier.marks([0])[0].position
        return Build(projection, generation, applier, position, position)

    def load(self, builds: Sequence[Build], span: Span = WHOLE_LOG) -> None:
        """Fold `span` of the log into `builds`: loaded in bulk, indexes made, then caught
        up in normal batches (to the span's end, or near the moving head)."""
        self._load(builds, "loading", span)
        for build in builds:
            self._say(build, "indexes", self._head(span))
            made = build.applier.database.run(generations.restore_indexes, DDL_LOCK)
            log.info("%s: %d indexes made", build.name, made)
        self._load(builds, "catch-up", span)

    def _head(self, span: Span) -> int:
        head = self._log.head()
        return head if span.until is None else min(head, span.until)

    def _load(self, builds: Sequence[Build], phase: str, span: Span) -> None:
        """Apply the log to every build, page by page, until a page reaches the head. Each
        build applies a page on a thread of its own (their databases work side by side)
        while the next page is read and decoded."""
        after = min(b.position for b in builds)
        head = self._head(span)
        with ThreadPoolExecutor(max_workers=len(builds), thread_name_prefix="rebuild") as pool:
            page = self._read(after, span)
            while page.last_position > after:
                batch = deliveries(page)
                running = [pool.submit(self._apply, build, batch, page.last_position)
                           for build in builds if build.position < page.last_position]
                after = page.last_position
                if after >= head:
                    head = self._head(span)
                following = self._read(after, span) if head - after >= self._page else None
                for done in running:
                    done.result()
                for build in builds:
                    self._say(build, phase, head)
                if following is None:
                    return
                page = following

    def _read(self, after: int, span: Span) -> Page:
        """The page of the log after `after` within `span`, every event in it decoded."""
        page = span.of(self._log.read(after, self._page))
        for envelope in page.envelopes:
            _ = envelope.event
        return page

    @staticmethod
    def _apply(build: Build, batch: list[Delivery], last: int) -> None:
        build.applier.apply(batch)
        metrics.REBUILD_EVENTS.labels(build.name).inc(last - build.position)
        build.position = last

    def _say(self, build: Build, phase: str, head: int) -> None:
        rate = build.rate()
        ratio = build.position / head if head else 1.0
        metrics.REBUILD_PROGRESS.labels(build.name).set(min(ratio, 1.0))
        self._store.registry.run(lambda cur: generations.record_progress(
            cur, build.generation, build.position, head, rate))
        self._report(Report(build.name, build.generation.number, phase, build.position, head,
                            rate))

    def _switch(self, build: Build) -> Generation:
        old = self._store.switch(build.generation, self._catch_up(build), self._handover,
                                 self._keep)
        live = build.generation
        log.info("%s: generation %d is live (replacing %s)", build.name, live.number,
                 old.number if old else "none")
        metrics.PROJECTION_GENERATION.labels(build.name).set(live.number)
        metrics.REBUILD_PROGRESS.labels(build.name).set(1.0)
        self._say(build, "live", self._log.head())
        self._switched(live)
        return live

    def _catch_up(self, build: Build) -> CatchUp:
        """Applies the rest of the log to the build inside the switch's transaction."""
        def catch_up(cur: Cursor) -> int:
            after = tracking.marks(cur, build.name, LOG, [0])[0].position
            while True:
                page = self._log.read(after, self._page)
                if page.last_position == after:
                    build.position = after
                    return after
                build.applier.apply_within(cur, deliveries(page))
                after = page.last_position
        return catch_up


def abort(store: Generations, projection: str) -> Generation | None:
    """Drop `projection`'s generation under construction, if any; the one dropped."""
    def forget(cur: Cursor) -> Generation | None:
        found = generations.in_state(cur, projection, State.BUILDING)
        if found is not None:
            generations.forget(cur, found)
        return found
    found = store.registry.run(forget, DDL_LOCK)
    if found is not None:
        store.drop(found)
    return found
