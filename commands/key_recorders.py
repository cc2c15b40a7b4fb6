"""The event store's recorders, writing each data-key change in the same transaction as the
events it goes with: a new key with the first events sealed under it, a destruction (a
tombstone) with the erasure. The change and its events commit together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic
from psycopg import Cursor, sql
from psycopg.rows import DictRow

from commands.data_keys import DataKeys, StoredKey
from commands.group_commit import Slot
from commands.key_tables import TABLE

KeyChanges = dict[UUID, tuple[AESGCM | None, StoredKey]]


def _agents(stored_events: Sequence[StoredEvent]) -> set[UUID]:
    return {e.originator_id if isinstance(e.originator_id, UUID) else UUID(e.originator_id)
            for e in stored_events}


def _new(changes: KeyChanges) -> list[tuple[Any, bytes | None, str]]:
    """The rows of the keys made."""
    return [(agent, key.wrapped, key.master_id) for agent, (_, key) in changes.items()
            if key.wrapped is not None]


def _destroyed(changes: KeyChanges) -> list[UUID]:
    return [agent for agent, (_, key) in changes.items() if key.wrapped is None]


def _with_key_changes(keys: DataKeys | None, insert: Callable[..., Sequence[int] | None],
                      stored_events: Sequence[StoredEvent],
                      kwargs: dict[str, Any]) -> Sequence[int] | None:
    """`insert` the events with the key changes of their agents (`key_changes`, which the
    store's `_insert_events` writes in the same transaction), then cache them. The changes are
    those given (a group commit brings them from each command's thread), or else those pending
    on this thread."""
    changes = kwargs.pop("key_changes", None)
    if changes is None:
        changes = keys.take_pending(_agents(stored_events)) if keys else {}
    ids = insert(stored_events, key_changes=changes, **kwargs)
    if keys and changes:
        keys.remember({agent: cipher for agent, (cipher, _) in changes.items()})
    return ids


class KeyedPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL's recorder, inserting the pending data keys of the agents it records events
    of (in its pipelined transaction, before the events)."""

    data_keys: DataKeys | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert the events and the key changes that go with them."""
        return _with_key_changes(self.data_keys, super().insert_events, stored_events, kwargs)

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        changes: KeyChanges = kwargs.get("key_changes") or {}
        table = sql.Identifier(self.datastore.schema, TABLE)
        if made := _new(changes):
            curs.executemany(sql.SQL("INSERT INTO {} (agent_id, wrapped, master_id) "
                                     "VALUES (%s, %s, %s)").format(table), made)
        if gone := _destroyed(changes):
            curs.executemany(sql.SQL(
                "INSERT INTO {} (agent_id, wrapped, master_id, destroyed_at) "
                "VALUES (%s, NULL, '', now()) ON CONFLICT (agent_id) DO UPDATE "
                "SET wrapped = NULL, destroyed_at = now()").format(table),
                [(agent,) for agent in gone])
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        """Lock the table and notify as `eventsourcing` does, then insert the events as four
        arrays in binary, which psycopg dumps in C (the array of a composite type that
        `eventsourcing` sends is dumped in Python, a third of a large group's cost)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._insert_arrays, ([e.originator_id for e in stored_events],
                              [e.originator_version for e in stored_events],
                              [e.topic for e in stored_events],
                              [e.state for e in stored_events]))

    @cached_property
    def _insert_arrays(self) -> sql.Composed:
        return sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id").format(self._events_table)

    @cached_property
    def _events_table(self) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema, self.events_table_name)

    def taken(self, slots: Sequence[Slot]) -> set[Slot]:
        """Those of `slots` (aggregate id, version) that hold an event already; one query."""
        if not slots:
            return set()
        query = sql.SQL(
            "SELECT e.originator_id, e.originator_version FROM {} AS e "
            "JOIN unnest(%s::uuid[], %s::bigint[]) AS s(id, version) "
            "ON e.originator_id = s.id AND e.originator_version = s.version").format(
                self._events_table)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, ([s[0] for s in slots], [s[1] for s in slots]))
            return {(row["originator_id"], row["originator_version"]) for row in curs.fetchall()}


class KeyedSqliteRecorder(SQLiteApplicationRecorder):
    """SQLite's recorder, inserting the pending data keys of the agents it records events of
    (in its transaction, before the events)."""

    data_keys: DataKeys | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert the events and the key changes that go with them."""
        return _with_key_changes(self.data_keys, super().insert_events, stored_events, kwargs)

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        changes: KeyChanges = kwargs.get("key_changes") or {}
        if made := _new(changes):
            c.executemany(f"INSERT INTO {TABLE} (agent_id, wrapped, master_id) "  # noqa: S608
                          "VALUES (?, ?, ?)", [(str(a), w, m) for a, w, m in made])
        if gone := _destroyed(changes):
            c.execute("PRAGMA secure_delete = ON")  # the key's bytes overwritten on disk
            c.executemany(f"INSERT INTO {TABLE} (agent_id, wrapped, master_id, destroyed_at) "  # noqa: S608
                          "VALUES (?, NULL, '', CURRENT_TIMESTAMP) ON CONFLICT (agent_id) "
                          "DO UPDATE SET wrapped = NULL, destroyed_at = CURRENT_TIMESTAMP",
                          [(str(agent),) for agent in gone])
        return super()._insert_events(c, stored_events, **kwargs)

    def taken(self, slots: Sequence[Slot]) -> set[Slot]:
        """Those of `slots` (aggregate id, version) that hold an event already."""
        query = (f"SELECT 1 FROM {self.events_table_name} "  # noqa: S608
                 "WHERE originator_id = ? AND originator_version = ?")
        found: set[Slot] = set()
        with self.datastore.transaction(commit=False) as c:
            for slot in slots:
                c.execute(query, (slot[0].hex, slot[1]))
                if c.fetchone() is not None:
                    found.add(slot)
        return found


def with_keyed_recorder(env: Mapping[str, str]) -> dict[str, str]:
    """`env` naming the keyed recorder of its store."""
    keyed = {"eventsourcing.postgres": KeyedPostgresRecorder,
             "eventsourcing.sqlite": KeyedSqliteRecorder}.get(env.get("PERSISTENCE_MODULE", ""))
    return {**env, "APPLICATION_RECORDER_TOPIC": get_topic(keyed)} if keyed else dict(env)
