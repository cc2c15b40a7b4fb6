"""How far read models have got: the position up to which every event has been applied.

Read from the consumers' tracking rows. With Kafka, each partition's mark moves past the relay's
watermarks, so the least advanced of all partitions is a position every event up to which is
applied; until every partition has a mark, nothing is known to be reached.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.db import Cursor


def reached(cur: Cursor, projections: Sequence[str], source: str, partitions: int) -> int:
    """The least position that all of `projections` have reached from `source`."""
    cur.execute(
        "SELECT projection, count(*), min(position) FROM projection_tracking "
        "WHERE projection = ANY(%s) AND source = %s GROUP BY projection",
        (list(projections), source),
    )
    rows = cur.fetchall()
    if len(rows) < len(set(projections)) or any(n < partitions for _, n, _ in rows):
        return 0
    return min(int(low) for _, _, low in rows)
