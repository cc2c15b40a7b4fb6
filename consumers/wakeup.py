"""Waking the relay when the log grows: PostgreSQL's recorder sends a notification on its
channel with every insert, so the relay waits for one instead of sleeping a fixed interval
(which added half an interval to every event's way to Kafka)."""

from __future__ import annotations

import psycopg
from psycopg import sql


class LogWakeup:
    """Listens on the event store's channel; `wait` returns at the next insert."""

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def wait(self, timeout: float) -> None:
        """Return once an insert was notified (since the last call) or after `timeout`
        seconds; the notifications waiting are all taken."""
        if list(self._conn.notifies(timeout=timeout, stop_after=1)):
            while list(self._conn.notifies(timeout=0, stop_after=1)):
                pass

    def close(self) -> None:
        """Stop listening."""
        self._conn.close()
