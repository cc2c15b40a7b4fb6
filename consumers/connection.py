"""One PostgreSQL connection that opens itself again after it was closed or broke: the
consumers' database, the Redis refresh and the relay's lease each hold one."""

from __future__ import annotations

import psycopg


class Reconnecting:
    """A connection to `conninfo`, (re)opened on demand."""

    def __init__(self, conninfo: str, autocommit: bool = False) -> None:
        self._conninfo = conninfo
        self._autocommit = autocommit
        self._conn: psycopg.Connection | None = None

    def get(self) -> psycopg.Connection:
        """The open connection, opening a new one when there is none or it is unusable
        (raises `psycopg.OperationalError` while the server is unreachable)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._conninfo, autocommit=self._autocommit)
        return self._conn

    @property
    def current(self) -> psycopg.Connection | None:
        """The connection last opened, if any, without opening one."""
        return self._conn

    def close(self) -> None:
        """Close the connection; the next `get` opens a new one."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None
