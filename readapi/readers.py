"""Where the read API's queries run: a pool of PostgreSQL connections, or a SQLite file.

Each reader turns its database's errors into the two the read API answers for: a read model
that does not exist yet, and a database that does not answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Protocol, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from projections.db import Cursor
from projections.sqlite import ServingFiles
from readapi.errors import ReadModelMissing, ReadStoreUnavailable

T = TypeVar("T")


class Reader(Protocol):
    """Runs read-only queries, each seeing the newest committed state."""

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on a cursor in autocommit (called from worker threads)."""

    def close(self) -> None:
        """Release the connections."""


class PostgresReader:
    """Queries on pooled PostgreSQL connections."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on a cursor of a pooled connection in autocommit."""
        try:
            with self.pool.connection() as conn:
                return query(conn.cursor())
        except psycopg.errors.UndefinedTable as error:
            raise ReadModelMissing from error
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise ReadStoreUnavailable from error

    def close(self) -> None:
        """Close the pool."""
        self.pool.close()


class SqliteReader:
    """Queries on the calling thread's own connection to the live generations' SQLite files
    (WAL: readers never wait for the writer)."""

    def __init__(self, store: ServingFiles) -> None:
        self.store = store

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on this thread's cursor in autocommit."""
        try:
            return query(self.store.reader())
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                raise ReadModelMissing from error
            raise ReadStoreUnavailable from error

    def close(self) -> None:
        """Nothing to release: the connections belong to their threads."""
