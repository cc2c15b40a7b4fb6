"""JSON for PostgreSQL `jsonb` parameters, through orjson."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    """`value` as JSON text (dates, UUIDs and datetimes in their ISO forms)."""
    return orjson.dumps(value).decode()
