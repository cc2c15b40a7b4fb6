"""Tracking: how far each projection has applied each partition of its source.

A projection's marks are written in the same transaction as the read-model change they account
for, so a crash can never leave a change without its position or a position without its change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from projections.db import Cursor

DDL = """
CREATE TABLE IF NOT EXISTS projection_tracking (
    projection text NOT NULL,
    source text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (projection, source, partition)
);
"""


@dataclass(frozen=True)
class Mark:
    """How far a projection has applied one partition: Kafka offset and global position."""

    offset: int
    position: int


NOTHING = Mark(-1, 0)
"""The mark of a partition nothing has been applied from."""

LOG = "log"
"""The source name of marks kept in log positions (the in-process feed, and rebuilds)."""


def create(cur: Cursor) -> None:
    """Create the tracking table when missing."""
    cur.execute(DDL)


def marks(cur: Cursor, projection: str, source: str,
          partitions: Iterable[int]) -> dict[int, Mark]:
    """The marks of `partitions`, locked until the transaction ends (new ones start at
    `NOTHING`), so that two consumers briefly sharing a partition apply one after the other."""
    wanted = sorted(set(partitions))
    cur.executemany(
        "INSERT INTO projection_tracking (projection, source, partition, \"offset\", position) "
        "VALUES (%s, %s, %s, -1, 0) ON CONFLICT DO NOTHING",
        [(projection, source, p) for p in wanted],
    )
    cur.execute(
        "SELECT partition, \"offset\", position FROM projection_tracking "
        "WHERE projection = %s AND source = %s AND partition = ANY(%s) ORDER BY partition "
        "FOR UPDATE",
        (projection, source, wanted),
    )
    return {p: Mark(o, pos) for p, o, pos in cur.fetchall()}


def save_marks(cur: Cursor, projection: str, source: str, moved: dict[int, Mark]) -> None:
    """Record how far each partition in `moved` has been applied."""
    cur.executemany(
        "UPDATE projection_tracking SET \"offset\" = %s, position = %s, "
        "updated_at = CURRENT_TIMESTAMP WHERE projection = %s AND source = %s AND partition = %s",
        [(m.offset, m.position, projection, source, p) for p, m in moved.items()],
    )


def source_marks(cur: Cursor, projection: str, source: str,
                 table: str = "projection_tracking") -> dict[int, Mark]:
    """Every partition's mark of `projection` from `source`, read from `table` (another
    generation's tracking, named with its schema), without locking."""
    cur.execute(f"SELECT partition, \"offset\", position FROM {table} "  # noqa: S608
                "WHERE projection = %s AND source = %s", (projection, source))
    return {p: Mark(o, pos) for p, o, pos in cur.fetchall()}


def hand_over(cur: Cursor, projection: str, source: str, partitions: int,
              old: dict[int, Mark], reached: int) -> None:
    """Give a generation that has applied the log up to `reached` the marks the live
    consumers of `source` resume from: each partition's offset where the replaced generation
    stood (the start when there was none), and `reached` as its position, so that whatever
    they deliver at or below it is dropped as already applied."""
    moved = {p: Mark(reached if source == LOG else old.get(p, NOTHING).offset,
                     max(reached, old.get(p, NOTHING).position))
             for p in range(partitions)}
    marks(cur, projection, source, moved)
    save_marks(cur, projection, source, moved)
