"""Opaque page cursors: the sort key of a page's last row, as URL-safe base64 JSON."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from webkit.problems import Problem


def encode(key: list[Any]) -> str:
    """The cursor that resumes after `key`."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode(cursor: str | None, length: int) -> list[Any] | None:
    """The key inside `cursor` (None for the first page); a 422 problem when it is not one of
    ours or does not fit this query."""
    if cursor is None:
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise Problem(422, "bad_cursor", "the cursor is not one this query handed out")
    if not all(isinstance(v, str | int) for v in key):
        raise Problem(422, "bad_cursor", "the cursor is not one this query handed out")
    return key


def encode_at(at: datetime, tiebreak: int) -> str:
    """The cursor that resumes after the entry at `at` with `tiebreak`."""
    return encode([at.isoformat(), tiebreak])


def decode_at(cursor: str | None) -> tuple[datetime, int] | None:
    """The time and tiebreak inside a cursor made by `encode_at` (None for the first page)."""
    key = decode(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), int(key[1])
    except ValueError:
        raise Problem(422, "bad_cursor", "the cursor is not one this query handed out") from None
