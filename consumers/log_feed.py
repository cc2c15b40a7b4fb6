"""The in-process transport: feeds appliers straight from the event store's notification log.

Used by the embedded default and by tests that need no broker; the appliers cannot tell it
from Kafka. Its one partition is the log itself, and a delivery's offset is its position.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from consumers import metrics
from consumers.applier import Applier, Delivery
from consumers.log import EventLog
from consumers.redis_refresh import RedisRefresh
from consumers.tracing import applying


class LogFeed:
    """Reads the log in pages and applies each page to every applier, from its own mark;
    after each poll, copies the changed documents to Redis through `refresh` when given. It
    owns the appliers and the refresh, and closes them."""

    def __init__(self, log: EventLog, appliers: Sequence[Applier], batch: int = 1000,
                 refresh: RedisRefresh | None = None) -> None:
        self._log = log
        self._refresh = refresh
        self._appliers = appliers
        self._batch = batch

    def catch_up(self) -> int:
        """Apply everything up to the log's head now; the number of events delivered."""
        delivered = 0
        for applier in self._appliers:
            after = applier.marks([0])[0].position
            while True:
                page = self._log.read(after, self._batch)
                if page.last_position == after:
                    break
                deliveries = [Delivery.of(0, e.position, e) for e in page.envelopes]
                if not deliveries or deliveries[-1].position < page.last_position:
                    deliveries.append(Delivery(0, page.last_position, page.last_position))
                with applying(applier.projection.name, deliveries):
                    applier.apply(deliveries)
                if page.envelopes:
                    metrics.fresh([applier.projection.name], page.envelopes[-1].occurred_at)
                delivered += len(page.envelopes)
                after = page.last_position
        return delivered

    def poll(self) -> int:
        """Catch up, then copy the changed documents to Redis; the number of events
        delivered."""
        delivered = self.catch_up()
        if self._refresh is not None:
            self._refresh.sync()
        return delivered

    def run(self, stop: threading.Event, interval: float = 0.1) -> None:
        """Catch up again and again until `stop` is set."""
        while not stop.is_set():
            if not self.poll():
                stop.wait(interval)

    def close(self) -> None:
        """Close every applier's connection and the refresh's."""
        for applier in self._appliers:
            applier.close()
        if self._refresh is not None:
            self._refresh.close()
