"""Copies marked documents from PostgreSQL to Redis, version-guarded, then clears the marks.

While Redis is down the marks stay and the read API answers from PostgreSQL; once Redis is
back, the next sync refills every document changed in between.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import psycopg
import redis

from consumers import metrics
from consumers.connection import Reconnecting
from projections import cache_marks, served_documents
from projections.redis_documents import DocumentCache

log = logging.getLogger(__name__)


class RedisRefresh:
    """Drains the cache marks of one read-model database into one document cache."""

    def __init__(self, conninfo: str, target: DocumentCache, batch: int = 500,
                 today: Callable[[], date] = date.today) -> None:
        self._target = target
        self._batch = batch
        self._today = today
        self._conn = Reconnecting(conninfo)

    def sync(self) -> int:
        """Copy every marked document now; the number copied (0 while Redis or PostgreSQL
        is unreachable: the marks wait for the next call)."""
        copied = 0
        try:
            while True:
                conn = self._conn.get()
                with conn.transaction():
                    cur = conn.cursor()
                    keys = cache_marks.take(cur, self._batch)
                    built = served_documents.build_many(cur, keys, self._today())
                    copied += self._target.put(built)
                    cache_marks.clear(cur, keys)
                if len(keys) < self._batch:
                    break
        except (redis.RedisError, psycopg.OperationalError) as error:
            metrics.CACHE_SYNC_FAILURES.inc()
            log.warning("Redis refresh failed; the marks wait: %s", error)
        metrics.CACHE_DOCUMENTS.inc(copied)
        return copied

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
