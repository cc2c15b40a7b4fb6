"""The read-model database the consumers write to: PostgreSQL, or SQLite on the embedded default.

Work is handed over as a function of a cursor and runs in one transaction. On PostgreSQL the
transaction may first take a named advisory lock (shared by consumer batches, exclusive for
`roster dlq retry` and for creating tables), and an unreachable server is retried with backoff.
On SQLite every write transaction begins IMMEDIATE, taking the file's single write lock, so it
already excludes every other writer and a named lock needs nothing more.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import psycopg
from tenacity import Retrying, before_sleep_log, retry_if_exception_type, wait_exponential

from consumers.connection import Reconnecting
from projections.db import Cursor
from projections.generations import Generation
from projections.sqlite import ServingFiles, SqliteStore

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Lock:
    """A named lock held for one transaction: shared with other holders, or exclusive."""

    name: str
    exclusive: bool = False

    @property
    def key(self) -> int:
        """Its PostgreSQL advisory-lock key."""
        return zlib.crc32(f"roster.projection.{self.name}".encode())


DDL_LOCK = Lock("ddl", exclusive=True)
"""Held while tables are created: concurrent `CREATE ... IF NOT EXISTS` can still collide in
PostgreSQL's catalog."""


def projection_lock(projection: str, exclusive: bool = False) -> Lock:
    """The lock consumer batches share and `roster dlq retry` holds alone."""
    return Lock(projection, exclusive)


class Database(Protocol):
    """Where read models and the consumers' tracking and dead letters are written."""

    generation: Generation | None
    """The generation the last transaction wrote to, when the database is one projection's."""

    def run(self, work: Callable[[Cursor], T], lock: Lock | None = None) -> T:
        """`work` inside one transaction holding `lock`, committed when it returns."""

    def close(self) -> None:
        """Release the connection."""


Enter = Callable[[Cursor], Generation | None]
"""Run first in each transaction (after the lock): points the cursor at a generation's tables
and says which."""


class PostgresDatabase:
    """One connection to PostgreSQL, reconnected and retried while the server is away."""

    def __init__(self, conninfo: str, sleep: Callable[[float], None] = time.sleep,
                 enter: Enter | None = None) -> None:
        self._sleep = sleep
        self._conn = Reconnecting(conninfo)
        self._enter = enter
        self.generation: Generation | None = None

    def run(self, work: Callable[[Cursor], T], lock: Lock | None = None) -> T:
        """`work` in one transaction after taking `lock`; retried from the start with backoff
        while PostgreSQL is unreachable."""
        for attempt in Retrying(retry=retry_if_exception_type(psycopg.OperationalError),
                                wait=wait_exponential(multiplier=0.2, max=10),
                                before_sleep=before_sleep_log(log, logging.WARNING),
                                sleep=self._sleep):
            with attempt:
                conn = self._conn.get()
                with conn.transaction():
                    cur = conn.cursor()
                    if lock is not None:
                        take = ("pg_advisory_xact_lock" if lock.exclusive
                                else "pg_advisory_xact_lock_shared")
                        cur.execute(f"SELECT {take}(%s)", (lock.key,))
                    if self._enter is not None:
                        self.generation = self._enter(cur)
                    return work(cur)
        raise AssertionError("unreachable: tenacity retries forever")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class SqliteDatabase:
    """A SQLite file of read models; each write transaction holds the file's write lock."""

    def __init__(self, store: SqliteStore, generation: Generation | None = None) -> None:
        self.store = store
        self.generation = generation

    def run(self, work: Callable[[Cursor], T], lock: Lock | None = None) -> T:
        """`work` in one write transaction (which excludes every other writer, so `lock` is
        held)."""
        with self.store.transaction() as cur:
            return work(cur)

    def close(self) -> None:
        """Close this thread's connection to the file."""
        self.store.close()


class SqliteServing:
    """Reads over the live generations' SQLite files, for tools and tests (each statement sees
    the newest commit; nothing is written)."""

    generation: Generation | None = None

    def __init__(self, files: ServingFiles) -> None:
        self.files = files

    def run(self, work: Callable[[Cursor], T], lock: Lock | None = None) -> T:
        """`work` on a cursor over the live generations."""
        return work(self.files.reader())

    def close(self) -> None:
        """Nothing to release: the connections belong to their threads."""
