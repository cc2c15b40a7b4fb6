"""A PostgreSQL session advisory lock: who holds it is the one active relay."""

from __future__ import annotations

import logging
import zlib

import psycopg

log = logging.getLogger(__name__)


class Lease:
    """Held while its own connection lives; a standby keeps trying to take it."""

    def __init__(self, conninfo: str, name: str) -> None:
        self._conninfo = conninfo
        self._key = zlib.crc32(name.encode())
        self._conn: psycopg.Connection | None = None
        self._held = False

    def held(self) -> bool:
        """Whether this process holds the lock now (trying to take it when it does not)."""
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._held = False
                self._conn = psycopg.connect(self._conninfo, autocommit=True)
            if self._held:
                self._conn.execute("SELECT 1")
            else:
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                self._held = bool(row.fetchone()[0])  # type: ignore[index]
        except psycopg.OperationalError as error:
            log.warning("lost the lease connection: %s", error)
            self._held = False
            self._conn = None
        return self._held

    @property
    def connection(self) -> psycopg.Connection:
        """The lock's connection: writes on it fail once the lock is lost."""
        assert self._conn is not None, "held() is called first"
        return self._conn

    def release(self) -> None:
        """Let a standby take over."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._held = False
