"""Where the read API's queries run: a pool of PostgreSQL connections, or a SQLite file.

Each reader turns its database's errors into the two the read API answers for: a read model
that does not exist yet, and a database that does not answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, TypeVar

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from projections.db import Cursor
from projections.generations import Generation, schema_name
from projections.sqlite import HeldFiles, ServingFiles, held_files
from readapi.errors import BadValue, ReadModelMissing, ReadStoreUnavailable

T = TypeVar("T")


class Reader(Protocol):
    """Runs read-only queries, each seeing the newest committed state."""

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on a cursor in autocommit (called from worker threads)."""

    def read_held(self, held: Sequence[Generation], query: Callable[[Cursor], T]) -> T:
        """`query` over the generations `held` (a snapshot's) alone."""

    def pool_stats(self) -> dict[str, int]:
        """The connection pool's counts (empty without a pool)."""

    def close(self) -> None:
        """Release the connections."""


def configure(conn: psycopg.Connection) -> None:
    """A pooled connection's JSON columns parsed by orjson (psycopg's default is the standard
    library's, several times slower on the licenses of every searched row)."""
    set_json_loads(orjson.loads, conn)


class PostgresReader:
    """Queries on pooled PostgreSQL connections (whose search path is the base schema)."""

    def __init__(self, pool: ConnectionPool, base: str) -> None:
        self.pool = pool
        self.base = base

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on a cursor of a pooled connection in autocommit."""
        with _answered_postgres(), self.pool.connection() as conn:
            return query(conn.cursor())

    def read_held(self, held: Sequence[Generation], query: Callable[[Cursor], T]) -> T:
        """`query` in a transaction whose search path is the schemas of `held` (and
        `public`, for the extensions' functions)."""
        schemas = ", ".join(f'"{schema_name(self.base, g.projection, g.number)}"'
                            for g in held)
        with _answered_postgres(), self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor()
            cur.execute(f"SET LOCAL search_path TO {schemas}, public")
            return query(cur)

    def pool_stats(self) -> dict[str, int]:
        """The pool's counts, as `psycopg_pool` keeps them."""
        return dict(self.pool.get_stats())

    def close(self) -> None:
        """Close the pool."""
        self.pool.close()


class SqliteReader:
    """Queries on the calling thread's own connection to the live generations' SQLite files
    (WAL: readers never wait for the writer)."""

    def __init__(self, store: ServingFiles) -> None:
        self.store = store
        self.held = HeldFiles()

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` on this thread's cursor in autocommit."""
        return _answered(query, self.store.reader)

    def read_held(self, held: Sequence[Generation], query: Callable[[Cursor], T]) -> T:
        """`query` on this thread's cursor over the files of `held`."""
        return _answered(query, lambda: self.held.reader(held_files(self.store.folder, held)))

    def pool_stats(self) -> dict[str, int]:
        """None: each thread has its own connection."""
        return {}

    def close(self) -> None:
        """Nothing to release: the connections belong to their threads."""


def _answered(query: Callable[[Cursor], T], cursor: Callable[[], Cursor]) -> T:
    """`query` on a SQLite cursor, its errors turned into the read API's."""
    try:
        return query(cursor())
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            raise ReadModelMissing from error
        raise ReadStoreUnavailable from error


@contextmanager
def _answered_postgres() -> Iterator[None]:
    """PostgreSQL's errors turned into the read API's."""
    try:
        yield
    except psycopg.errors.UndefinedTable as error:
        raise ReadModelMissing from error
    except psycopg.DataError as error:
        raise BadValue(f"a value cannot be stored or compared: {error}") from error
    except (psycopg.OperationalError, PoolTimeout) as error:
        raise ReadStoreUnavailable from error
