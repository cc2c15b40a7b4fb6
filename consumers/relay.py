"""The relay: publishes the event store's ordered log to Kafka, one agent event per message.

Only the holder of a PostgreSQL advisory lock publishes; another relay waits as a standby.
The position is saved, on the lock's own connection, only after the broker acknowledged every
event up to it, so a crash re-sends (consumers drop the duplicates) and never skips.
While Kafka is down the relay retries with backoff; the log is the buffer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from kafka.errors import KafkaError

from consumers import metrics
from consumers.lease import Lease
from consumers.log import EventLog
from consumers.wakeup import LogWakeup
from projections.envelope import Envelope

log = logging.getLogger(__name__)

StoreError = (OperationalError, InterfaceError)
"""What the event store raises while PostgreSQL is unreachable."""

DDL = """
CREATE TABLE IF NOT EXISTS relay_position (
    topic text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""


Publish = Callable[[Sequence[Envelope], int], None]
"""Sends a page of envelopes and the last position it accounts for; raises unless acknowledged."""


class Relay:
    """Moves the log into one topic; `run` loops, `publish_once` does one page."""

    def __init__(self, log: EventLog, lease: Lease, publish: Publish, topic: str,
                 batch: int = 1000, wakeup: LogWakeup | None = None) -> None:
        self._log = log
        self._wakeup = wakeup
        self._lease = lease
        self._publish = publish
        self._topic = topic
        self._batch = batch
        self.active = False
        """Whether this relay held the lock at its last look."""
        self._position: int | None = None
        self.lag = 0
        """Positions between the log's head and the last one published."""
        self.last_success = datetime.now(UTC)
        """When a round last completed without error."""

    def position(self) -> int:
        """The last position the broker acknowledged (0 before the first): read from the
        database when the lock is taken, then kept here while this relay holds it."""
        if self._position is None:
            conn = self._lease.connection
            conn.execute(DDL)
            conn.execute("INSERT INTO relay_position (topic, position) VALUES (%s, 0) "
                         "ON CONFLICT DO NOTHING", (self._topic,))
            row = conn.execute("SELECT position FROM relay_position WHERE topic = %s",
                               (self._topic,)).fetchone()
            assert row is not None, "inserted above"
            self._position = int(row[0])
        return self._position

    def close(self) -> None:
        """Stop listening for inserts."""
        if self._wakeup is not None:
            self._wakeup.close()

    def publish_once(self) -> int:
        """Publish the next page of the log if this relay is active; the events published."""
        self.active = self._lease.held()
        metrics.RELAY_ACTIVE.set(int(self.active))
        if not self.active:
            self._position = None
            return 0
        after = self.position()
        page = self._log.read(after, self._batch)
        if page.last_position > after:
            self._publish(page.envelopes, page.last_position)
            self._lease.connection.execute(
                "UPDATE relay_position SET position = %s, updated_at = now() WHERE topic = %s",
                (page.last_position, self._topic))
            self._position = page.last_position
            metrics.RELAY_PUBLISHED.inc(len(page.envelopes))
            self.lag = max(0, self._log.head() - page.last_position)
        else:
            self.lag = 0
        self.last_success = datetime.now(UTC)
        metrics.RELAY_POSITION.set(page.last_position)
        metrics.RELAY_LAG.set(self.lag)
        return len(page.envelopes)

    def run(self, stop: threading.Event, interval: float = 0.05, max_backoff: float = 10.0) -> None:
        """Publish until `stop` is set, backing off while Kafka or PostgreSQL fail. With the
        log caught up it waits `interval` (a second on standby), or, with a `wakeup`, until
        the next insert if that comes first."""
        backoff = interval
        while not stop.is_set():
            try:
                published = self.publish_once()
                backoff = interval
                if not published and self._wakeup is not None and self.active:
                    self._wakeup.wait(interval)
                    continue
            except (KafkaError, psycopg.OperationalError, *StoreError) as error:
                metrics.RELAY_FAILURES.inc()
                self._position = None
                log.warning("publishing failed, retrying in %.1fs: %s", backoff, error)
                stop.wait(backoff)
                backoff = min(max_backoff, backoff * 2)
                continue
            if not published:
                stop.wait(interval if self.active else 1.0)
        self._lease.release()
