"""One consistent view of the read models for an export: every query of a run sees the same
state, at one log position.

PostgreSQL: a REPEATABLE READ, READ ONLY transaction on a connection of its own, whose rows
stream through a server-side cursor or PostgreSQL's COPY. SQLite: a read transaction over the
live generations' files (WAL: the consumers go on writing, the view does not move).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import psycopg

from projections.db import Cursor, StoreKind
from projections.sqlite import ServingFiles, SqliteCursor

BATCH = 2000
"""Rows fetched at a time."""


class Held(Protocol):
    """A view, open."""

    kind: StoreKind

    @property
    def cursor(self) -> Cursor:
        """For the run's small queries (position, count)."""

    def batches(self, query: Any, params: Any) -> Iterator[list[Any]]:
        """The rows of `query`, `BATCH` at a time, without holding them all."""

    def copied(self, query: Any, params: Any) -> Iterator[bytes]:
        """The bytes PostgreSQL's COPY writes for `query` (PostgreSQL only)."""


class View(Protocol):
    """Opens consistent views."""

    def held(self) -> AbstractContextManager[Held]:
        """A view open for the block."""

    def close(self) -> None:
        """Release the connection."""


class _PostgresHeld:
    kind = StoreKind.POSTGRES

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.cursor: Cursor = conn.cursor()

    def batches(self, query: Any, params: Any) -> Iterator[list[Any]]:
        with self.conn.cursor(name="roster_export") as server:
            server.execute(query, params)
            while rows := server.fetchmany(BATCH):
                yield rows

    def copied(self, query: Any, params: Any) -> Iterator[bytes]:
        with self.conn.cursor().copy(query, params) as copy:
            for chunk in copy:
                yield bytes(chunk)


class PostgresView:
    """Views on a PostgreSQL connection of the exports' own."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._conn: psycopg.Connection | None = None

    @contextmanager
    def held(self) -> Iterator[Held]:
        """A REPEATABLE READ, READ ONLY transaction, dates in ISO."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self.conninfo)
        conn = self._conn
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            held = _PostgresHeld(conn)
            held.cursor.execute("SET LOCAL DateStyle = 'ISO'")
            yield held

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()


class _SqliteHeld:
    kind = StoreKind.SQLITE

    def __init__(self, cursor: SqliteCursor) -> None:
        self.cursor = cursor

    def batches(self, query: Any, params: Any) -> Iterator[list[Any]]:
        self.cursor.execute(query, params)
        while rows := self.cursor.fetchmany(BATCH):
            yield rows

    def copied(self, query: Any, params: Any) -> Iterator[bytes]:
        raise NotImplementedError("COPY is PostgreSQL's")


class SqliteView:
    """Views over the live generations' files, on the calling thread's connection."""

    def __init__(self, files: ServingFiles) -> None:
        self.files = files

    @contextmanager
    def held(self) -> Iterator[Held]:
        """One read transaction over the registry and the live generations."""
        cursor = self.files.reader()
        cursor.execute("BEGIN")
        try:
            yield _SqliteHeld(cursor)
        finally:
            cursor.execute("ROLLBACK")

    def close(self) -> None:
        """Nothing to release: the connections belong to their threads."""
