"""The timeline: every event of an agent as a dated, human-readable entry, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from projections import events as ev
from projections.db import Cursor, write_rows
from projections.envelope import Envelope
from projections.erasure import scrub, scrubbed_payload
from projections.event_lines import line
from projections.jsonb import dumps
from projections.window import Window

_DDL = """
CREATE TABLE IF NOT EXISTS timeline (
    agent_id uuid NOT NULL,
    agent_version integer NOT NULL,
    position bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    source text NOT NULL,
    summary text NOT NULL,
    details jsonb NOT NULL,
    PRIMARY KEY (agent_id, agent_version)
);
CREATE INDEX IF NOT EXISTS timeline_agent_time ON timeline (agent_id, occurred_at, agent_version);
"""


_COLUMNS = ("agent_id", "agent_version", "position", "occurred_at", "type", "actor", "source",
            "summary", "details")


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeline entry."""

    agent_version: int
    position: int
    occurred_at: datetime
    type: str
    actor: str
    source: str
    summary: str
    details: dict[str, Any]


class TimelineProjection:
    """Timeline entries (`timeline`); an entry is written once per event."""

    name = "timeline"
    version = 1
    uncompared: frozenset[str] = frozenset()

    def create(self, cur: Cursor) -> None:
        """Create the table when missing."""
        cur.execute(_DDL)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Insert one entry per event; a redelivered event changes nothing."""
        write_rows(cur, "timeline", _COLUMNS,
                   [(e.agent_id, e.agent_version, e.position, e.occurred_at, e.type, e.actor,
                     e.source, line(e), Jsonb(e.payload, dumps=dumps)) for e in envelopes],
                   "ON CONFLICT DO NOTHING")
        for erased in {e.agent_id for e in envelopes
                       if isinstance(e.event, ev.PersonalDataErased)}:
            scrub(cur, "timeline", ("agent_id", "agent_version"), "details", erased,
                  scrubbed_payload)


def entries(cur: Cursor, agent_id: UUID, types: Sequence[str] | None,
            window: Window) -> list[Entry]:
    """The agent's entries in `window`, newest first, of `types` if given."""
    cur.execute(
        "SELECT agent_version, position, occurred_at, type, actor, source, summary, details "
        "FROM timeline WHERE agent_id = %(a)s "
        "AND (%(types)s::text[] IS NULL OR type = ANY(%(types)s)) "
        + window.sql("agent_version", newest_first=True),
        {"a": agent_id, "types": list(types) if types else None, **window.params()},
    )
    return [Entry(*row) for row in cur.fetchall()]
