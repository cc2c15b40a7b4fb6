"""What an event store needs before `eventsourcing` opens it."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random


def prepare(env: Mapping[str, str]) -> None:
    """Put a SQLite event store in WAL mode once, retrying while another process does the
    same: the library switches a new file's journal mode on its first connection, and
    processes that start together on a new file would otherwise fail with `database is
    locked`. A PostgreSQL store needs nothing."""
    path = env.get("SQLITE_DBNAME")
    if (env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite" or path is None
            or "memory" in path):
        return
    for attempt in Retrying(retry=retry_if_exception_type(sqlite3.OperationalError),
                            stop=stop_after_attempt(20), wait=wait_random(0.01, 0.2),
                            reraise=True):
        with attempt, closing(sqlite3.connect(path, timeout=10)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
