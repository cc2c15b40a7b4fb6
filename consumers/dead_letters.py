"""Dead letters: events a projection refused, parked in log order with why, until a retry.

Parking happens in the same transaction as the marks that move past the parked events, so an
event is always either applied, parked, or still ahead of the marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from projections.db import Cursor
from projections.envelope import Envelope

DDL = """
CREATE TABLE IF NOT EXISTS dead_letters (
    projection text NOT NULL,
    position bigint NOT NULL,
    agent_id uuid NOT NULL,
    agent_version integer NOT NULL,
    event_type text NOT NULL,
    state text NOT NULL,
    error text NOT NULL,
    attempts integer NOT NULL,
    envelope bytea NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (projection, position)
);
CREATE INDEX IF NOT EXISTS dead_letters_agent ON dead_letters (projection, agent_id, position);
"""

FAILED = "failed"
"""A parked event whose projection raised on every attempt."""
WAITING = "waiting"
"""A parked event that was never tried: an earlier event of the same agent is parked."""


@dataclass(frozen=True)
class DeadLetter:
    """A parked event and why it is parked."""

    projection: str
    position: int
    agent_id: UUID
    agent_version: int
    event_type: str
    state: str
    error: str
    attempts: int
    parked_at: datetime
    envelope: Envelope


def create(cur: Cursor) -> None:
    """Create the dead-letter table when missing."""
    cur.execute(DDL)


def blocked_agents(cur: Cursor, projection: str, agent_ids: Iterable[UUID]) -> set[UUID]:
    """Those of `agent_ids` with a parked event in `projection`: their later events must wait."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM dead_letters WHERE projection = %s)",
                (projection,))
    if not cur.fetchone()[0]:
        return set()
    cur.execute(
        "SELECT DISTINCT agent_id FROM dead_letters WHERE projection = %s AND agent_id = ANY(%s)",
        (projection, list(set(agent_ids))),
    )
    return {row[0] for row in cur.fetchall()}


def park(cur: Cursor, projection: str, envelopes: Sequence[Envelope], state: str,
         error: str, attempts: int) -> None:
    """Put `envelopes` in the dead-letter store of `projection`."""
    cur.executemany(
        "INSERT INTO dead_letters (projection, position, agent_id, agent_version, event_type, "
        "state, error, attempts, envelope) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        [(projection, e.position, e.agent_id, e.agent_version, e.type, state, error, attempts,
          e.to_json()) for e in envelopes],
    )


def parked(cur: Cursor, projection: str | None = None) -> list[DeadLetter]:
    """Parked events, of one projection or all, in log order."""
    cur.execute(
        "SELECT projection, position, agent_id, agent_version, event_type, state, error, "
        "attempts, parked_at, envelope FROM dead_letters "
        "WHERE %(p)s::text IS NULL OR projection = %(p)s ORDER BY projection, position",
        {"p": projection},
    )
    return [DeadLetter(projection=name, position=position, agent_id=agent_id,
                       agent_version=version, event_type=kind, state=state, error=error,
                       attempts=attempts, parked_at=at, envelope=Envelope.from_json(data))
            for name, position, agent_id, version, kind, state, error, attempts, at, data
            in cur.fetchall()]


def unpark(cur: Cursor, letter: DeadLetter) -> None:
    """Remove `letter` from the dead-letter store (it has been applied)."""
    cur.execute("DELETE FROM dead_letters WHERE projection = %s AND position = %s",
                (letter.projection, letter.position))


def record_failure(cur: Cursor, letter: DeadLetter, error: str) -> None:
    """Note that one more retry of `letter` failed, with its error."""
    cur.execute(
        "UPDATE dead_letters SET state = %s, error = %s, attempts = attempts + 1 "
        "WHERE projection = %s AND position = %s",
        (FAILED, error, letter.projection, letter.position),
    )
