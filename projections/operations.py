"""The state of every projection for operators: its live generation, how far it has applied
the log, its parked dead letters, any rebuild under way, and its last verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from projections import generations, verification
from projections.db import Cursor
from projections.generations import Generation, State
from projections.verification import Verdict


@dataclass(frozen=True, slots=True)
class Standing:
    """One projection as the operations page shows it."""

    projection: str
    live: Generation | None
    building: Generation | None
    kept: list[int]
    applied: int
    """The position every event up to which its live generation has applied (0 if unknown)."""
    applied_at: datetime | None
    """When its least advanced partition last moved."""
    parked: int
    verdict: Verdict | None
    """Its last verification, if any."""


def standings(cur: Cursor, source: str, partitions: int) -> list[Standing]:
    """Every projection in the registry, by name (the live consumers read `source`)."""
    found = generations.listed(cur)
    verdicts = verification.latest(cur)
    if not any(g.state is State.LIVE for g in found):
        return [_standing(name, found, (0, None), 0, verdicts.get(name))
                for name in sorted({g.projection for g in found})]
    cur.execute("SELECT projection, count(*), min(position), min(updated_at) "
                "FROM projection_tracking WHERE source = %s GROUP BY projection", (source,))
    marks = {name: (int(low), at) if n >= partitions else (0, at)
             for name, n, low, at in cur.fetchall()}
    cur.execute("SELECT projection, count(*) FROM dead_letters GROUP BY projection")
    parked = {name: int(n) for name, n in cur.fetchall()}
    return [_standing(name, found, marks.get(name, (0, None)), parked.get(name, 0),
                      verdicts.get(name))
            for name in sorted({g.projection for g in found})]


def _standing(name: str, found: list[Generation], mark: tuple[int, datetime | None],
              parked: int, verdict: Verdict | None) -> Standing:
    mine = [g for g in found if g.projection == name]
    live = next((g for g in mine if g.state is State.LIVE), None)
    building = next((g for g in mine if g.state is State.BUILDING), None)
    return Standing(name, live, building, [g.number for g in mine if g.state is State.KEPT],
                    mark[0], mark[1], parked, verdict)


@dataclass(frozen=True, slots=True)
class Parked:
    """A parked dead letter as operators see it: where it is, and why."""

    projection: str
    position: int
    agent_id: UUID
    event_type: str
    state: str
    error: str
    attempts: int
    parked_at: datetime


def parked(cur: Cursor, limit: int) -> list[Parked]:
    """The newest `limit` parked dead letters of every projection, newest first (none before
    the first projection exists)."""
    if not _any_live(cur):
        return []
    cur.execute("SELECT projection, position, agent_id, event_type, state, error, attempts, "
                "parked_at FROM dead_letters ORDER BY parked_at DESC, projection, position "
                "LIMIT %s", (limit,))
    return [Parked(name, int(position), agent if isinstance(agent, UUID) else UUID(agent),
                   kind, state, error, int(attempts), _moment(at))
            for name, position, agent, kind, state, error, attempts, at in cur.fetchall()]


def _moment(value: datetime | str) -> datetime:
    """A timestamp as read: PostgreSQL's as it is, SQLite's text in UTC."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _any_live(cur: Cursor) -> bool:
    """Whether a live generation exists, and with it the bookkeeping tables."""
    return any(g.state is State.LIVE for g in generations.listed(cur))
