"""A PostgreSQL session advisory lock: who holds it is the one active relay."""

from __future__ import annotations

import logging
import zlib

import psycopg

from consumers.connection import Reconnecting

log = logging.getLogger(__name__)


class Lease:
    """Held while its own connection lives; a standby keeps trying to take it."""

    def __init__(self, conninfo: str, name: str) -> None:
        self._key = zlib.crc32(name.encode())
        self._conn = Reconnecting(conninfo, autocommit=True)
        self._held = False

    def held(self) -> bool:
        """Whether this process holds the lock now (trying to take it when it does not)."""
        try:
            before = self._conn.current
            conn = self._conn.get()
            if conn is not before:
                self._held = False  # a new session holds no lock yet
            if self._held:
                conn.execute("SELECT 1")
            else:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                self._held = bool(row.fetchone()[0])  # type: ignore[index]
        except psycopg.OperationalError as error:
            log.warning("lost the lease connection: %s", error)
            self._held = False
            self._conn.close()
        return self._held

    @property
    def connection(self) -> psycopg.Connection:
        """The lock's connection: writes on it fail once the lock is lost."""
        conn = self._conn.current
        assert conn is not None, "held() is called first"
        return conn

    def release(self) -> None:
        """Let a standby take over."""
        self._conn.close()
        self._held = False
