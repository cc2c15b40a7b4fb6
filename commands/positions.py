"""Finds where events sit in the store's ordered log: the global position (notification id) of
one event, and an agent's whole history with each event's position."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int:
    """The notification id of the event `version` of `originator_id`."""
    found = _select(recorder, originator_id, version)
    assert found, "the event was recorded"
    return found[0].id


def notifications_of(recorder: ApplicationRecorder, originator_id: UUID) -> list[Notification]:
    """Every event of `originator_id` as a notification (with its position), oldest first."""
    return _select(recorder, originator_id, None)


def _select(recorder: ApplicationRecorder, originator_id: UUID,
            version: int | None) -> list[Notification]:
    """The notifications of `originator_id` (of `version` alone if given), by version."""
    if isinstance(recorder, PostgresApplicationRecorder):
        query = sql.SQL(
            "SELECT notification_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = %s AND (%s::int IS NULL OR originator_version = %s) "
            "ORDER BY originator_version"
        ).format(sql.Identifier(recorder.datastore.schema),
                 sql.Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as pg_cursor:
            pg_cursor.execute(query, (originator_id, version, version))
            rows: list[Any] = [(r["notification_id"], r["originator_version"], r["topic"],
                                r["state"]) for r in pg_cursor.fetchall()]
    elif isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as lite_cursor:
            lite_cursor.execute(
                "SELECT rowid, originator_version, topic, state "  # noqa: S608
                f"FROM {recorder.events_table_name} WHERE originator_id = ? "
                "AND (? IS NULL OR originator_version = ?) ORDER BY originator_version",
                (originator_id.hex, version, version),
            )
            rows = [tuple(r) for r in lite_cursor.fetchall()]
    else:
        msg = f"no position lookup for {type(recorder).__name__}"
        raise TypeError(msg)
    return [Notification(id=int(i), originator_id=originator_id, originator_version=int(v),
                         topic=str(t), state=bytes(s)) for i, v, t, s in rows]
