"""Which Redis documents are out of date: keys marked in the same transaction as the change.

A projection marks the key of every document it changed; the Redis refresh (in the consumer)
rebuilds each marked document from PostgreSQL, writes it to Redis guarded by its version, and
clears the mark. A crash or a Redis outage leaves the marks in place until Redis has caught up.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from projections.db import Cursor, StoreKind, store_of, write_rows

PROFILE = "profile"
CHAIN = "chain"
DASHBOARD = "dashboard"

_DDL = """
CREATE TABLE IF NOT EXISTS cache_marks (
    key text PRIMARY KEY,
    marked_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


def profile_key(agent_id: UUID) -> str:
    """The key of an agent's profile document."""
    return f"{PROFILE}:{agent_id}"


def chain_key(agent_id: UUID) -> str:
    """The key of an agent's manager chain."""
    return f"{CHAIN}:{agent_id}"


def create(cur: Cursor) -> None:
    """Create the marks table when missing."""
    cur.execute(_DDL)


COPIED_TO_REDIS = frozenset({StoreKind.POSTGRES})
"""The stores whose documents have a Redis copy (the embedded default, SQLite, has no Redis)."""


def mark(cur: Cursor, keys: Iterable[str]) -> None:
    """Mark `keys` as changed, inside the caller's transaction, where a Redis copy exists."""
    if store_of(cur) not in COPIED_TO_REDIS:
        return
    write_rows(cur, "cache_marks", ("key",), [(k,) for k in sorted(set(keys))],
               "ON CONFLICT DO NOTHING")


def take(cur: Cursor, limit: int) -> list[str]:
    """Up to `limit` marked keys, locked until the transaction ends (others skip them)."""
    cur.execute("SELECT key FROM cache_marks ORDER BY key LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,))
    return [row[0] for row in cur.fetchall()]


def clear(cur: Cursor, keys: list[str]) -> None:
    """Remove the marks of `keys` (their documents are in Redis now)."""
    cur.execute("DELETE FROM cache_marks WHERE key = ANY(%s)", (keys,))
