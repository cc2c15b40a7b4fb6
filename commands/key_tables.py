"""The table of wrapped data keys in each event store's database: PostgreSQL (in the event
store's schema) and SQLite (in `events.db`), reached through the store's own connections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg import sql

from commands.data_keys import KeyTable, StoredKey

TABLE = "roster_data_keys"
"""The keys table's name in either store."""

_BATCH = 1000


def _pages(select: Callable[[UUID | None], list[tuple[UUID, StoredKey]]],
           save: Callable[[list[tuple[UUID, StoredKey]]], None],
           change: Callable[[UUID, StoredKey], StoredKey | None]) -> int:
    """Walk the live rows a page at a time (`select(after)`), saving those `change` replaces."""
    after: UUID | None = None
    done = 0
    while page := select(after):
        changed = [(agent, new) for agent, row in page
                   if (new := change(agent, row)) is not None]
        if changed:
            save(changed)
        done += len(changed)
        after = page[-1][0]
    return done


class PostgresKeyTable:
    """The keys table in the event store's PostgreSQL schema."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self._store = datastore
        self._table = sql.Identifier(datastore.schema, TABLE)

    def create(self) -> None:
        """Create the table when missing."""
        with self._store.transaction(commit=True) as cur:
            cur.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (agent_id uuid PRIMARY KEY, wrapped bytea, "
                "master_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), "
                "destroyed_at timestamptz)").format(self._table))

    def fetch(self, agent_ids: Sequence[UUID]) -> dict[UUID, StoredKey]:
        """The rows of those of `agent_ids` that have one (one statement, no transaction)."""
        with self._store.get_connection() as conn:
            rows: list[dict[str, Any]] = conn.execute(sql.SQL(
                "SELECT agent_id, wrapped, master_id FROM {} WHERE agent_id = ANY(%s)")
                .format(self._table), (list(agent_ids),)).fetchall()
        return {r["agent_id"]: StoredKey(r["wrapped"], r["master_id"]) for r in rows}

    def tombstones(self) -> list[UUID]:
        """The agents whose key was destroyed."""
        with self._store.transaction(commit=False) as cur:
            cur.execute(sql.SQL("SELECT agent_id FROM {} WHERE wrapped IS NULL")
                        .format(self._table))
            rows: list[dict[str, Any]] = cur.fetchall()
        return [r["agent_id"] for r in rows]

    def rewrap(self, change: Callable[[UUID, StoredKey], StoredKey | None]) -> int:
        """Replace each live row by `change(row)` where that is not None, a page at a time."""
        def select(after: UUID | None) -> list[tuple[UUID, StoredKey]]:
            with self._store.transaction(commit=False) as cur:
                cur.execute(sql.SQL(
                    "SELECT agent_id, wrapped, master_id FROM {} WHERE wrapped IS NOT NULL "
                    "AND (%s::uuid IS NULL OR agent_id > %s) ORDER BY agent_id LIMIT %s")
                    .format(self._table), (after, after, _BATCH))
                rows: list[dict[str, Any]] = cur.fetchall()
            return [(r["agent_id"], StoredKey(r["wrapped"], r["master_id"])) for r in rows]

        def save(rows: list[tuple[UUID, StoredKey]]) -> None:
            with self._store.transaction(commit=True) as cur:
                cur.executemany(sql.SQL(
                    "UPDATE {} SET wrapped = %s, master_id = %s "
                    "WHERE agent_id = %s AND wrapped IS NOT NULL").format(self._table),
                    [(k.wrapped, k.master_id, agent) for agent, k in rows])
        return _pages(select, save, change)


class SqliteKeyTable:
    """The keys table in the embedded default's `events.db`."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self._store = datastore

    def create(self) -> None:
        """Create the table when missing."""
        with self._store.transaction(commit=True) as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (agent_id text PRIMARY KEY, "
                        "wrapped blob, master_id text NOT NULL, created_at text NOT NULL "
                        "DEFAULT CURRENT_TIMESTAMP, destroyed_at text)")

    def fetch(self, agent_ids: Sequence[UUID]) -> dict[UUID, StoredKey]:
        """The rows of those of `agent_ids` that have one."""
        found: dict[UUID, StoredKey] = {}
        with self._store.transaction(commit=False) as cur:
            for start in range(0, len(agent_ids), 500):
                chunk = [str(a) for a in agent_ids[start:start + 500]]
                cur.execute(f"SELECT agent_id, wrapped, master_id FROM {TABLE} "  # noqa: S608
                            f"WHERE agent_id IN ({', '.join('?' * len(chunk))})", chunk)
                found |= {UUID(r[0]): StoredKey(r[1], r[2]) for r in cur.fetchall()}
        return found

    def tombstones(self) -> list[UUID]:
        """The agents whose key was destroyed."""
        with self._store.transaction(commit=False) as cur:
            cur.execute(f"SELECT agent_id FROM {TABLE} WHERE wrapped IS NULL")  # noqa: S608
            return [UUID(r[0]) for r in cur.fetchall()]

    def rewrap(self, change: Callable[[UUID, StoredKey], StoredKey | None]) -> int:
        """Replace each live row by `change(row)` where that is not None, a page at a time."""
        def select(after: UUID | None) -> list[tuple[UUID, StoredKey]]:
            with self._store.transaction(commit=False) as cur:
                cur.execute(f"SELECT agent_id, wrapped, master_id FROM {TABLE} "  # noqa: S608
                            "WHERE wrapped IS NOT NULL AND agent_id > ? "
                            "ORDER BY agent_id LIMIT ?", ("" if after is None else str(after),
                                                          _BATCH))
                rows = cur.fetchall()
            return [(UUID(r[0]), StoredKey(r[1], r[2])) for r in rows]

        def save(rows: list[tuple[UUID, StoredKey]]) -> None:
            with self._store.transaction(commit=True) as cur:
                cur.executemany(f"UPDATE {TABLE} SET wrapped = ?, master_id = ? "  # noqa: S608
                                "WHERE agent_id = ? AND wrapped IS NOT NULL",
                                [(k.wrapped, k.master_id, str(agent)) for agent, k in rows])
        return _pages(select, save, change)


def key_table(datastore: object) -> KeyTable:
    """The keys table on the event store `datastore` belongs to."""
    if isinstance(datastore, PostgresDatastore):
        return PostgresKeyTable(datastore)
    if isinstance(datastore, SQLiteDatastore):
        return SqliteKeyTable(datastore)
    msg = f"no keys table for {type(datastore).__name__}"
    raise TypeError(msg)
