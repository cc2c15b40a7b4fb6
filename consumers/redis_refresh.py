"""Copies marked documents from PostgreSQL to Redis, version-guarded, then clears the marks.

While Redis is down the marks stay and the read API answers from PostgreSQL; once Redis is
back, the next sync refills every document changed in between. While PostgreSQL is down, the
sync waits for it, as the consumers' batches do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date

import redis

from consumers import metrics
from consumers.database import Database
from projections import cache_marks, served_documents
from projections.db import Cursor
from projections.redis_documents import DocumentCache

log = logging.getLogger(__name__)


class RedisRefresh:
    """Drains the cache marks of the live generations of the cached projections (one database
    each) into one document cache."""

    def __init__(self, databases: Sequence[Database], target: DocumentCache,
                 batch: int = 500, today: Callable[[], date] = date.today) -> None:
        self._databases = databases
        self._target = target
        self._batch = batch
        self._today = today

    def sync(self) -> int:
        """Copy every marked document now; the number copied (0 while Redis is unreachable:
        the marks wait for the next call)."""
        copied = 0
        try:
            for database in self._databases:
                while True:
                    done, more = database.run(self._copy)
                    copied += done
                    if not more:
                        break
        except redis.RedisError as error:
            metrics.CACHE_SYNC_FAILURES.inc()
            log.warning("Redis refresh failed; the marks wait: %s", error)
        metrics.CACHE_DOCUMENTS.inc(copied)
        return copied

    def _copy(self, cur: Cursor) -> tuple[int, bool]:
        """One batch of marks: documents copied, and whether more may be marked."""
        keys = cache_marks.take(cur, self._batch)
        built = served_documents.build_many(cur, keys, self._today())
        copied = self._target.put(built)
        cache_marks.clear(cur, keys)
        return copied, len(keys) == self._batch

    def close(self) -> None:
        """Close the connections."""
        for database in self._databases:
            database.close()
