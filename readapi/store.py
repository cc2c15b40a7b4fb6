"""The read API's access to the read models: a reader (PostgreSQL or SQLite), and Redis
documents when there is Redis beside PostgreSQL and it answers (the database otherwise).

The store is used from the event loop: Redis is asynchronous, and each database query runs on
a worker thread (`run`), so a request whose documents are in Redis never leaves the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import TypeVar
from uuid import UUID

import orjson
import redis
from anyio import CapacityLimiter, to_thread

from projections import progress, served_documents, snapshots
from projections.db import Cursor
from projections.envelope import Envelope
from projections.redis_documents import AsyncDocumentCache, Stored, Versioned
from projections.snapshots import Snapshot
from readapi.config import ReadApiConfig
from readapi.errors import (
    EventStoreUnavailable,
    PositionBeyondLog,
    PositionNotReached,
    ReadModelMissing,
    SnapshotLacks,
    SnapshotNotFound,
    TooManyWaiting,
)
from readapi.readers import Reader

log = logging.getLogger(__name__)
T = TypeVar("T")

REACHED_REUSE_SECONDS = 0.05
"""How long a read of the reached position serves other requests."""
REDIS_PAUSE_SECONDS = 1.0
"""After Redis fails, how long reads go straight to the database before trying Redis again."""


class ReadStore:
    """Queries over one read-model database, with documents read through Redis."""

    def __init__(self, reader: Reader, cache: AsyncDocumentCache | None,
                 config: ReadApiConfig) -> None:
        self.reader = reader
        self.cache = cache
        self.config = config
        self._redis_back_at = 0.0
        self.on_redis_failure: Callable[[], None] = lambda: None
        """Called at each failed Redis read or write (the metrics count them)."""
        self._reached: dict[tuple[str, ...], tuple[float, int]] = {}
        self._reading: dict[tuple[str, ...], asyncio.Future[int]] = {}
        self._waiting = 0
        self._threads = CapacityLimiter(config.reader_threads)

    async def run(self, query: Callable[[Cursor], T], held: Snapshot | None = None) -> T:
        """`query` on a cursor in autocommit (each query sees the newest state), or over the
        generations of the snapshot `held` alone, on a worker thread."""
        if held is not None:
            return await to_thread.run_sync(self.reader.read_held, held.generations, query,
                                            limiter=self._threads)
        return await to_thread.run_sync(self.reader.read, query, limiter=self._threads)

    async def snapshot(self, name: str, needs: str) -> Snapshot:
        """The ready snapshot `name`, which must hold the projection `needs`."""
        found = await self.run(lambda cur: snapshots.find(cur, name))
        if found is None or not found.ready:
            raise SnapshotNotFound(name)
        if needs not in found.projections:
            raise SnapshotLacks(name, needs)
        return found

    async def history(self, agent_id: UUID) -> Sequence[Envelope]:
        """One agent's events from the event store, oldest first (audit replays), on a worker
        thread."""
        return await to_thread.run_sync(self.config.history, agent_id)

    async def close(self) -> None:
        """Release the connections, the event store's among them."""
        if self.cache is not None:
            await self.cache.close()
        await to_thread.run_sync(self.reader.close)
        await to_thread.run_sync(self.config.close_event_store)

    async def reached(self, projections: Sequence[str], fresh: bool = False) -> int:
        """The position every one of `projections` has reached (0 before any consumer ran).
        Positions only grow, so one read in the last `REACHED_REUSE_SECONDS` is reused unless
        `fresh`: it may be a little low, never too high; requests arriving while a read is
        under way share it."""
        key = tuple(projections)
        if fresh:
            return await self._read_reached_now(key)
        at, known = self._reached.get(key, (0.0, 0))
        if time.monotonic() - at < REACHED_REUSE_SECONDS:
            return known
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read_reached_now(key))
            self._reading[key] = reading
            reading.add_done_callback(partial(self._forget_reading, key))
        return await asyncio.shield(reading)

    def _forget_reading(self, key: tuple[str, ...], reading: asyncio.Future[int]) -> None:
        """Forget a shared read once done, its failure taken (every request still waiting
        for it raises it; when none is left, nothing logs it as never retrieved)."""
        self._reading.pop(key, None)
        if not reading.cancelled():
            reading.exception()

    async def _read_reached_now(self, key: tuple[str, ...]) -> int:
        """Read the reached position now (requests arriving meanwhile share this read)."""
        try:
            found = await self.run(lambda cur: self._read_reached(cur, key))
        except ReadModelMissing:
            found = 0
        self._reached[key] = (time.monotonic(), found)
        return found

    def _read_reached(self, cur: Cursor, projections: Sequence[str]) -> int:
        return progress.reached(cur, projections, self.config.source, self.config.partitions)

    @property
    def redis_available(self) -> bool:
        """False while documents come from PostgreSQL after a Redis failure."""
        return time.monotonic() >= self._redis_back_at

    def pool_stats(self) -> dict[str, int]:
        """The read models' connection pool as `psycopg_pool` counts it (empty on SQLite)."""
        return self.reader.pool_stats()

    @property
    def waiting(self) -> int:
        """How many reads wait for a position now."""
        return self._waiting

    async def wait(self, projections: Sequence[str], position: int | None) -> int:
        """Wait until `projections` reach `position` (bounded); the position reached.
        `PositionBeyondLog` at once for a position the log does not hold, `TooManyWaiting` at
        once when `max_waiting` reads wait already, `PositionNotReached` when the bound
        passes first."""
        reached = await self.reached(projections)
        if position is None or reached >= position:
            return reached
        head = await self.head()
        if head is not None and position > head:
            raise PositionBeyondLog(position, head)
        if self._waiting >= self.config.max_waiting:
            raise TooManyWaiting(reached, position)
        self._waiting += 1
        try:
            return await self._waited(projections, position)
        finally:
            self._waiting -= 1

    async def _waited(self, projections: Sequence[str], position: int) -> int:
        deadline = time.monotonic() + self.config.wait_seconds
        pause = 0.01
        while True:
            reached = await self.reached(projections, fresh=True)
            if reached >= position:
                return reached
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(pause)
            pause = min(0.2, pause * 2)
        raise PositionNotReached(reached, position, self.config.wait_seconds)

    async def head(self) -> int | None:
        """The log's head, or None when the event store does not answer (the read waits)."""
        try:
            return await to_thread.run_sync(self.config.log_head)
        except EventStoreUnavailable:
            return None

    async def documents(self, keys: Sequence[str],
                        fresh: bool = False) -> list[Stored | None]:
        """The documents of `keys` as JSON: from Redis as stored (never parsed here), else
        built from the database and written back. `fresh` skips Redis, for reads that waited
        for a position the database has reached."""
        found: list[Stored | None] = [None] * len(keys)
        if self.cache is not None and not fresh:
            found = await self._cached(keys)
        missing = [k for k, doc in zip(keys, found, strict=True) if doc is None]
        if not missing:
            return found
        built = await self.run(lambda cur: served_documents.build_many(cur, missing, date.today()))
        if self.cache is not None and built:
            await self._write_back(built)
        return [doc if doc is not None else _dumped(built.get(k))
                for k, doc in zip(keys, found, strict=True)]

    async def _cached(self, keys: Sequence[str]) -> list[Stored | None]:
        assert self.cache is not None
        if time.monotonic() < self._redis_back_at:
            return [None] * len(keys)
        try:
            return await self.cache.get(keys)
        except redis.RedisError as error:
            log.warning("Redis unavailable, answering from PostgreSQL for %.0fs: %s",
                        REDIS_PAUSE_SECONDS, error)
            self._redis_back_at = time.monotonic() + REDIS_PAUSE_SECONDS
            self.on_redis_failure()
            return [None] * len(keys)

    async def _write_back(self, built: dict[str, Versioned]) -> None:
        assert self.cache is not None
        if time.monotonic() < self._redis_back_at:
            return
        try:
            await self.cache.put(built)
        except redis.RedisError as error:
            log.warning("Redis unavailable, not caching: %s", error)
            self.on_redis_failure()


def _dumped(document: Versioned | None) -> Stored | None:
    return None if document is None else (document[0], orjson.dumps(document[1]))
