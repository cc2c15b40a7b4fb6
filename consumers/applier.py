"""Applies delivered events to one projection exactly once, with retries and dead letters.

Each batch is one read-model transaction holding the read-model change and the tracking marks
together. Events at or below a partition's mark are duplicates and are dropped. When the
projection raises, the batch is rolled back and its events are applied one by one; an event that
keeps failing is parked, and the same agent's later events are parked behind it (`waiting`)
so that its order is never broken while other agents go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential

from consumers import dead_letters, metrics, tracking
from consumers.database import Database, projection_lock
from consumers.dead_letters import FAILED, WAITING
from consumers.tracking import NOTHING, Mark
from projections.db import Cursor
from projections.envelope import Envelope
from projections.projection import Projection

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message as a transport hands it over: where it came from and what it carries."""

    partition: int
    offset: int
    position: int
    envelope: Envelope | None = None
    """None for a watermark: word that every event up to `position` came before it."""

    @classmethod
    def of(cls, partition: int, offset: int, envelope: Envelope) -> Delivery:
        """The delivery of one event."""
        return cls(partition, offset, envelope.position, envelope)


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how patiently, a failing event is retried before it is parked."""

    attempts: int = 3
    first_wait: float = 0.2
    max_wait: float = 5.0


class Applier:
    """Feeds one projection from one source (a topic, or the log) into one database."""

    def __init__(self, database: Database, projection: Projection, source: str,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.projection = projection
        self.source = source
        self.policy = policy or RetryPolicy()
        self.database = database
        self._sleep = sleep
        self.last_applied_at = datetime.min.replace(tzinfo=UTC)
        """When the newest event applied here was accepted by the write side."""
        for counter in (metrics.CONSUMER_EVENTS, metrics.CONSUMER_RETRIES):
            counter.labels(projection.name)  # a series from the start, at 0
        for state in (FAILED, WAITING):
            metrics.CONSUMER_DEAD_LETTERS.labels(projection.name, state)

    def marks(self, partitions: Sequence[int]) -> dict[int, Mark]:
        """How far each of `partitions` has been applied (where to resume reading)."""
        return self.database.run(lambda cur: tracking.marks(
            cur, self.projection.name, self.source, partitions))

    def apply_within(self, cur: Cursor, deliveries: Sequence[Delivery]) -> int:
        """Apply a batch inside the caller's transaction (no retries: when it fails, the
        caller's transaction fails); the number of events applied."""
        applied, _, _ = self._transaction(cur, deliveries, None)
        return len(applied)

    def apply(self, deliveries: Sequence[Delivery]) -> None:
        """Apply a batch exactly once; falls back to one event at a time when it fails."""
        if not deliveries:
            return
        try:
            self._commit(deliveries)
        except Exception:
            log.warning("batch of %d failed in %s; applying one at a time",
                        len(deliveries), self.projection.name, exc_info=True)
            metrics.CONSUMER_RETRIES.labels(self.projection.name).inc()
            for delivery in deliveries:
                self._apply_one(delivery)
        metrics.CONSUMER_BATCH.labels(self.projection.name).observe(len(deliveries))

    def _apply_one(self, delivery: Delivery) -> None:
        policy = self.policy
        try:
            for attempt in Retrying(stop=stop_after_attempt(policy.attempts),
                                    wait=wait_exponential(multiplier=policy.first_wait,
                                                          max=policy.max_wait),
                                    before_sleep=self._count_retry, sleep=self._sleep,
                                    reraise=True):
                with attempt:
                    self._commit([delivery])
        except Exception as error:
            log.warning("%s parks position %d after %d attempts: %s", self.projection.name,
                        delivery.position, policy.attempts, error)
            failure = f"{type(error).__name__}: {error}"
            self._commit([delivery], failure)

    def _count_retry(self, state: RetryCallState) -> None:
        metrics.CONSUMER_RETRIES.labels(self.projection.name).inc()

    def _commit(self, deliveries: Sequence[Delivery], failure: str | None = None) -> None:
        """One transaction over `deliveries` (parking them as failed when `failure` is given),
        counted once it has committed."""
        work = partial(self._transaction, deliveries=deliveries, failure=failure)
        applied, waiting, failed = self.database.run(work, projection_lock(self.projection.name))
        self._count(applied, waiting, failed)
        if self.database.generation is not None:
            metrics.PROJECTION_GENERATION.labels(self.projection.name).set(
                self.database.generation.number)

    def _transaction(self, cur: Cursor, deliveries: Sequence[Delivery], failure: str | None,
                     ) -> tuple[list[Envelope], list[Envelope], list[Envelope]]:
        name = self.projection.name
        generation = self.database.generation
        if generation is not None and generation.version != self.projection.version:
            return [], [], []  # another version's tables: they wait for their rebuild's switch
        marks = tracking.marks(cur, name, self.source, {d.partition for d in deliveries})
        fresh = [d.envelope for d in deliveries if d.envelope is not None
                 and d.position > marks.get(d.partition, NOTHING).position]
        blocked = dead_letters.blocked_agents(cur, name, (e.agent_id for e in fresh))
        waiting = [e for e in fresh if e.agent_id in blocked]
        ready = [e for e in fresh if e.agent_id not in blocked]
        if failure is not None:
            dead_letters.park(cur, name, ready, FAILED, failure, self.policy.attempts)
        else:
            self.projection.apply(cur, ready)
        if waiting:
            dead_letters.park(cur, name, waiting, WAITING,
                             "waits behind an earlier parked event of the same agent", 0)
        tracking.save_marks(cur, name, self.source, _advanced(marks, deliveries))
        return ([], waiting, ready) if failure is not None else (ready, waiting, [])

    def _count(self, applied: list[Envelope], waiting: list[Envelope],
               failed: list[Envelope]) -> None:
        name = self.projection.name
        metrics.CONSUMER_EVENTS.labels(name).inc(len(applied))
        if waiting:
            metrics.CONSUMER_DEAD_LETTERS.labels(name, WAITING).inc(len(waiting))
        if failed:
            metrics.CONSUMER_DEAD_LETTERS.labels(name, FAILED).inc(len(failed))
        if applied:
            self.last_applied_at = applied[-1].occurred_at

    def close(self) -> None:
        """Close the database connection."""
        self.database.close()


def _advanced(marks: dict[int, Mark], deliveries: Sequence[Delivery]) -> dict[int, Mark]:
    """`marks` moved to the last of `deliveries` of each partition (a partition's deliveries
    come in offset order, their positions growing)."""
    moved = dict(marks)
    for d in {d.partition: d for d in deliveries}.values():
        current = moved.get(d.partition, NOTHING)
        if d.offset > current.offset:
            moved[d.partition] = Mark(d.offset, max(current.position, d.position))
    return moved
