"""JSON for PostgreSQL `jsonb` parameters, through orjson, and the text forms of values where
a store or a file holds them as text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson


def dumps(value: Any) -> str:
    """`value` as JSON text (dates, UUIDs and datetimes in their ISO forms)."""
    return orjson.dumps(value).decode()


def text_form(value: Any) -> Any:
    """UUIDs, dates, times (in UTC, to the microsecond) and documents as text, as SQLite keeps
    them and exports write them; numbers, text and None unchanged."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return dumps(value)
    return value
