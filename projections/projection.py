"""What every read model offers the runners that feed it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from projections.db import Cursor
from projections.envelope import Envelope


class OutOfOrder(Exception):
    """An agent's event arrived before one it follows: applying it would corrupt the model."""


class Projection(Protocol):
    """A read model in the read-model database (PostgreSQL or SQLite): its schema and how a
    batch of events changes it."""

    name: str
    """Stable name: the key of its tracking rows and dead letters."""

    version: int
    """Bumped whenever a change of code changes what the tables hold: a running consumer then
    builds a new generation from the log and switches to it."""

    uncompared: frozenset[str]
    """Tables, or columns as `table.column`, that count batches rather than hold state (a fold
    of the log in other batches differs there by design); verification leaves them out."""

    def create(self, cur: Cursor) -> None:
        """Create the read model's tables and indexes when they are missing."""

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Apply events in order, inside the caller's transaction; skip ones already applied."""
