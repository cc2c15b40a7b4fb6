"""Waking the relay when the log grows: PostgreSQL's recorder sends a notification on its
channel with every insert, so the relay waits for one instead of sleeping a fixed interval
(which added half an interval to every event's way to Kafka)."""

from __future__ import annotations

import time

import psycopg
from psycopg import sql


class LogWakeup:
    """Listens on the event store's channel; `wait` returns at the next insert. The listening
    connection is made on first use and made again after PostgreSQL went away; while it
    cannot be, `wait` sleeps its timeout (the relay polls as it did before)."""

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout: float) -> None:
        """Return once an insert was notified (since the last call) or after `timeout`
        seconds; the notifications waiting are all taken."""
        try:
            conn = self._listening()
            if list(conn.notifies(timeout=timeout, stop_after=1)):
                while list(conn.notifies(timeout=0, stop_after=1)):
                    pass
        except psycopg.OperationalError:
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        """Stop listening."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _listening(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        return self._conn
