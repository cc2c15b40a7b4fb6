"""Finds the global position (notification id) of an event already in the store."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int:
    """The notification id of the event `version` of `originator_id`."""
    if isinstance(recorder, PostgresApplicationRecorder):
        query = sql.SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(sql.Identifier(recorder.datastore.schema),
                 sql.Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as pg_cursor:
            pg_cursor.execute(query, (originator_id, version))
            row = pg_cursor.fetchone()
            assert row is not None, "the event was recorded"
            return int(row["notification_id"])
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as lite_cursor:
            lite_cursor.execute(
                f"SELECT rowid FROM {recorder.events_table_name} "  # noqa: S608
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            found = lite_cursor.fetchone()
            assert found is not None, "the event was recorded"
            return int(found[0])
    msg = f"no position lookup for {type(recorder).__name__}"
    raise TypeError(msg)
