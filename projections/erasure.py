"""What the read models keep of an agent's personal data is dropped when its data key is
destroyed: each value becomes the erasure marker, as a rebuild after the erasure writes it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from domain.values import ERASED, PERSONAL_FIELDS
from projections.db import Cursor
from projections.jsonb import dumps


def _marked(value: Any) -> Any:
    return None if value is None else ERASED


def scrubbed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload with its personal values (at any depth) as the marker."""
    return {k: _marked(v) if k in PERSONAL_FIELDS
            else scrubbed_payload(v) if isinstance(v, dict) else v
            for k, v in payload.items()}


def scrubbed_changes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An audit entry's changes with personal values as the marker; a change of a personal
    field no longer shows (both sides read the same)."""
    return [change for change in (
        {**c, "before": _marked(c["before"]), "after": _marked(c["after"])}
        if c["field"] in PERSONAL_FIELDS else c for c in changes)
        if change["before"] != change["after"]]


def scrub(cur: Cursor, table: str, keys: Sequence[str], column: str, agent_id: UUID,
          change: Callable[[Any], Any]) -> None:
    """Rewrite `column` (JSON) of the agent's rows in `table` (identified by `keys`) with
    `change`."""
    cur.execute(f"SELECT {', '.join((*keys, column))} FROM {table} "  # noqa: S608
                "WHERE agent_id = %s", (agent_id,))
    rows = [(*row[:-1], change(row[-1])) for row in cur.fetchall()]
    where = " AND ".join(f"{k} = %s" for k in keys)
    cur.executemany(f"UPDATE {table} SET {column} = %s WHERE {where}",  # noqa: S608
                    [(Jsonb(value, dumps=dumps), *key) for *key, value in rows])
