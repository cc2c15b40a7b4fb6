"""The read API's access to the read models: a PostgreSQL pool, and Redis documents when
Redis answers (PostgreSQL otherwise)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

import psycopg
import redis
from psycopg_pool import ConnectionPool

from projections import documents, progress
from projections.redis_cache import DocumentCache, Versioned
from readapi.config import ReadApiConfig
from webkit.problems import Problem

log = logging.getLogger(__name__)

REACHED_REUSE_SECONDS = 0.05
"""How long a read of the reached position serves other requests."""
REDIS_PAUSE_SECONDS = 1.0
"""After Redis fails, how long reads go straight to PostgreSQL before trying Redis again."""


class ReadStore:
    """Queries over one read-model database, with documents read through Redis."""

    def __init__(self, pool: ConnectionPool, cache: DocumentCache | None,
                 config: ReadApiConfig) -> None:
        self.pool = pool
        self.cache = cache
        self.config = config
        self._redis_back_at = 0.0
        self._reached: dict[tuple[str, ...], tuple[float, int]] = {}

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor]:
        """A cursor on a pooled connection, in autocommit (each query sees the newest state)."""
        with self.pool.connection() as conn:
            yield conn.cursor()

    def reached(self, projections: Sequence[str], fresh: bool = False) -> int:
        """The position every one of `projections` has reached (0 before any consumer ran).
        Positions only grow, so one read in the last `REACHED_REUSE_SECONDS` is reused unless
        `fresh`: it may be a little low, never too high."""
        key = tuple(projections)
        at, known = self._reached.get(key, (0.0, 0))
        if not fresh and time.monotonic() - at < REACHED_REUSE_SECONDS:
            return known
        found = self._read_reached(projections)
        self._reached[key] = (time.monotonic(), found)
        return found

    def _read_reached(self, projections: Sequence[str]) -> int:
        with self.cursor() as cur:
            try:
                return progress.reached(cur, projections, self.config.source,
                                        self.config.partitions)
            except psycopg.errors.UndefinedTable:
                return 0

    def wait(self, projections: Sequence[str], position: int | None) -> int:
        """Wait until `projections` reach `position` (bounded); the position reached.
        A 503 problem when the bound passes first."""
        reached = self.reached(projections)
        if position is None or reached >= position:
            return reached
        deadline = time.monotonic() + self.config.wait_seconds
        pause = 0.01
        while True:
            reached = self.reached(projections, fresh=True)
            if reached >= position:
                return reached
            if time.monotonic() >= deadline:
                break
            time.sleep(pause)
            pause = min(0.2, pause * 2)
        raise Problem(503, "position_not_reached",
                      f"the read model has reached position {reached}, not {position}, "
                      f"within {self.config.wait_seconds}s; retry later",
                      reached=reached)

    def documents(self, keys: Sequence[str], fresh: bool = False) -> list[Versioned | None]:
        """The documents of `keys`: from Redis, else built from PostgreSQL and written back.
        `fresh` skips Redis, for reads that waited for a position PostgreSQL has reached."""
        found: list[Versioned | None] = [None] * len(keys)
        if self.cache is not None and not fresh:
            found = self._cached(keys)
        missing = [k for k, doc in zip(keys, found, strict=True) if doc is None]
        if not missing:
            return found
        with self.cursor() as cur:
            built = documents.build_many(cur, missing, date.today())
        if self.cache is not None and built:
            self._write_back(built)
        return [doc if doc is not None else built.get(k)
                for k, doc in zip(keys, found, strict=True)]

    def _cached(self, keys: Sequence[str]) -> list[Versioned | None]:
        assert self.cache is not None
        if time.monotonic() < self._redis_back_at:
            return [None] * len(keys)
        try:
            return self.cache.get(keys)
        except redis.RedisError as error:
            log.warning("Redis unavailable, answering from PostgreSQL for %.0fs: %s",
                        REDIS_PAUSE_SECONDS, error)
            self._redis_back_at = time.monotonic() + REDIS_PAUSE_SECONDS
            return [None] * len(keys)

    def _write_back(self, built: dict[str, Versioned]) -> None:
        assert self.cache is not None
        if time.monotonic() < self._redis_back_at:
            return
        try:
            self.cache.put(built)
        except redis.RedisError as error:
            log.warning("Redis unavailable, not caching: %s", error)
