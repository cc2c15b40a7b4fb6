"""The event store's recorders, storing each new data key in the same transaction as the first
events sealed under it: the key and its events commit together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from commands.key_tables import TABLE

NewKeys = dict[UUID, tuple[AESGCM, StoredKey]]


def _agents(stored_events: Sequence[StoredEvent]) -> set[UUID]:
    return {e.originator_id if isinstance(e.originator_id, UUID) else UUID(e.originator_id)
            for e in stored_events}


def _rows(made: NewKeys) -> list[tuple[Any, bytes | None, str]]:
    return [(agent, key.wrapped, key.master_id) for agent, (_, key) in made.items()]


def _with_new_keys(keys: DataKeys | None, insert: Callable[..., Sequence[int] | None],
                   stored_events: Sequence[StoredEvent],
                   kwargs: dict[str, Any]) -> Sequence[int] | None:
    """`insert` the events with the pending keys of their agents (`new_keys`, which the
    store's `_insert_events` writes in the same transaction), then cache the keys."""
    made = keys.take_pending(_agents(stored_events)) if keys else {}
    ids = insert(stored_events, new_keys=made, **kwargs)
    if keys and made:
        keys.remember({agent: cipher for agent, (cipher, _) in made.items()})
    return ids


class KeyedPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL's recorder, inserting the pending data keys of the agents it records events
    of (in its pipelined transaction, before the events)."""

    data_keys: DataKeys | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert the events and the new keys they were sealed under."""
        return _with_new_keys(self.data_keys, super().insert_events, stored_events, kwargs)

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        made: NewKeys = kwargs.get("new_keys") or {}
        if made:
            curs.executemany(sql.SQL(
                "INSERT INTO {} (agent_id, wrapped, master_id) VALUES (%s, %s, %s)")
                .format(sql.Identifier(self.datastore.schema, TABLE)), _rows(made))
        super()._insert_events(curs, stored_events, **kwargs)


class KeyedSqliteRecorder(SQLiteApplicationRecorder):
    """SQLite's recorder, inserting the pending data keys of the agents it records events of
    (in its transaction, before the events)."""

    data_keys: DataKeys | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert the events and the new keys they were sealed under."""
        return _with_new_keys(self.data_keys, super().insert_events, stored_events, kwargs)

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        made: NewKeys = kwargs.get("new_keys") or {}
        if made:
            c.executemany(f"INSERT INTO {TABLE} (agent_id, wrapped, master_id) "  # noqa: S608
                          "VALUES (?, ?, ?)",
                          [(str(a), w, m) for a, w, m in _rows(made)])
        return super()._insert_events(c, stored_events, **kwargs)


def with_keyed_recorder(env: Mapping[str, str]) -> dict[str, str]:
    """`env` naming the keyed recorder of its store."""
    keyed = {"eventsourcing.postgres": KeyedPostgresRecorder,
             "eventsourcing.sqlite": KeyedSqliteRecorder}.get(env.get("PERSISTENCE_MODULE", ""))
    return {**env, "APPLICATION_RECORDER_TOPIC": get_topic(keyed)} if keyed else dict(env)
