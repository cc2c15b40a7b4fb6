"""`roster dlq retry`: applies parked events again, per agent in log order.

It holds the projection's lock exclusively, so no consumer batch interleaves: an agent's events
leave the dead-letter store in order, and an agent whose head still fails stays parked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers import dead_letters
from consumers.database import Database, projection_lock
from projections.db import Cursor, savepoint
from projections.projection import Projection


@dataclass
class Redrive:
    """What one retry did: events applied, and events still parked."""

    applied: int = 0
    still_parked: int = 0
    errors: list[str] = field(default_factory=list)


def retry_parked(database: Database, projection: Projection) -> Redrive:
    """Apply `projection`'s parked events again; stop at each agent's first failure."""
    def retry(cur: Cursor) -> Redrive:
        outcome = Redrive()
        stuck: set[object] = set()
        for letter in dead_letters.parked(cur, projection.name):
            if letter.agent_id in stuck:
                outcome.still_parked += 1
                continue
            try:
                with savepoint(cur):
                    projection.apply(cur, [letter.envelope])
                    dead_letters.unpark(cur, letter)
                outcome.applied += 1
            except Exception as error:  # the projection still refuses it: leave it parked
                stuck.add(letter.agent_id)
                outcome.still_parked += 1
                message = f"{type(error).__name__}: {error}"
                outcome.errors.append(f"position {letter.position}: {message}")
                dead_letters.record_failure(cur, letter, message)
        return outcome
    return database.run(retry, projection_lock(projection.name, exclusive=True))
