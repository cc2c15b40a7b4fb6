"""Applies delivered events to one projection exactly once, with retries and dead letters.

Each batch is one PostgreSQL transaction holding the read-model change and the tracking marks
together. Events at or below a partition's mark are duplicates and are dropped. When the
projection raises, the batch is rolled back and its events are applied one by one; an event that
keeps failing is parked, and the same agent's later events are parked behind it (`waiting`)
so that its order is never broken while other agents go on.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import psycopg
from tenacity import (
    RetryCallState,
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from consumers import bookkeeping, metrics
from consumers.bookkeeping import FAILED, NOTHING, WAITING, Mark
from projections.envelope import Envelope
from projections.projection import Projection

log = logging.getLogger(__name__)

T = TypeVar("T")


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


def lock_key(projection: str) -> int:
    """The advisory-lock key that `roster dlq retry` holds exclusively against batches."""
    return zlib.crc32(f"roster.projection.{projection}".encode())


class Applier:
    """Feeds one projection from one source (a topic, or the log) over one connection."""

    def __init__(self, conninfo: str, projection: Projection, source: str,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.projection = projection
        self.source = source
        self.policy = policy or RetryPolicy()
        self._conninfo = conninfo
        self._sleep = sleep
        self._conn: psycopg.Connection | None = None
        self.last_applied_at = datetime.min.replace(tzinfo=UTC)
        """When the newest event applied here was accepted by the write side."""

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._conninfo)
        return self._conn

    def _persistently(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work`, reconnecting and retrying with backoff while PostgreSQL is unreachable."""
        for attempt in Retrying(retry=retry_if_exception_type(psycopg.OperationalError),
                                wait=wait_exponential(multiplier=0.2, max=10),
                                before_sleep=before_sleep_log(log, logging.WARNING),
                                sleep=self._sleep):
            with attempt:
                return work(self._connection())
        raise AssertionError("unreachable: tenacity retries forever")

    def create(self) -> None:
        """Create the projection's tables and the bookkeeping tables (one process at a time:
        concurrent `CREATE ... IF NOT EXISTS` can still collide in PostgreSQL's catalog)."""
        def create(conn: psycopg.Connection) -> None:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("ddl"),))
                bookkeeping.create(conn)
                self.projection.create(conn.cursor())
        self._persistently(create)

    def marks(self, partitions: Sequence[int]) -> dict[int, Mark]:
        """How far each of `partitions` has been applied (where to resume reading)."""
        def read(conn: psycopg.Connection) -> dict[int, Mark]:
            with conn.transaction():
                return bookkeeping.marks(conn.cursor(), self.projection.name, self.source,
                                         partitions)
        return self._persistently(read)

    def apply(self, deliveries: Sequence[Delivery]) -> None:
        """Apply a batch exactly once; falls back to one event at a time when it fails."""
        if not deliveries:
            return
        try:
            self._persistently(partial(self._transaction, deliveries=deliveries))
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
                    self._persistently(partial(self._transaction, deliveries=[delivery]))
        except Exception as error:
            log.warning("%s parks position %d after %d attempts: %s", self.projection.name,
                        delivery.position, policy.attempts, error)
            failure = f"{type(error).__name__}: {error}"
            self._persistently(partial(self._transaction, deliveries=[delivery], failure=failure))

    def _count_retry(self, state: RetryCallState) -> None:
        metrics.CONSUMER_RETRIES.labels(self.projection.name).inc()

    def _transaction(self, conn: psycopg.Connection, deliveries: Sequence[Delivery],
                     failure: str | None = None) -> None:
        name = self.projection.name
        with conn.transaction():
            cur = conn.cursor()
            cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (lock_key(name),))
            marks = bookkeeping.marks(cur, name, self.source,
                                      {d.partition for d in deliveries})
            fresh = [d.envelope for d in deliveries if d.envelope is not None
                     and d.position > marks.get(d.partition, NOTHING).position]
            blocked = bookkeeping.blocked_agents(cur, name, (e.agent_id for e in fresh))
            waiting = [e for e in fresh if e.agent_id in blocked]
            ready = [e for e in fresh if e.agent_id not in blocked]
            if failure is not None:
                bookkeeping.park(cur, name, ready, FAILED, failure, self.policy.attempts)
            else:
                self.projection.apply(cur, ready)
            if waiting:
                bookkeeping.park(cur, name, waiting, WAITING,
                                 "waits behind an earlier parked event of the same agent", 0)
            bookkeeping.save_marks(cur, name, self.source, _advanced(marks, deliveries))
        self._count(ready if failure is None else [], waiting, failed=ready if failure else [])

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
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()


def _advanced(marks: dict[int, Mark], deliveries: Sequence[Delivery]) -> dict[int, Mark]:
    moved = dict(marks)
    for d in deliveries:
        current = moved.get(d.partition, NOTHING)
        if d.offset > current.offset:
            moved[d.partition] = Mark(d.offset, max(current.position, d.position))
    return moved
